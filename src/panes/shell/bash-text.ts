import type { ShellStep } from "../../shared/shell-step.js";
import {
  checkNonce,
  checkSecret,
  type ShellFds,
  type StartupOptions,
  shownWord,
  singleQuote,
  stepText,
} from "./shell-text.js";

/** The argv a validated bash runs with: no profile, no rc file, its script (and command stream) on `fds.script`. */
export function bashArgv(bash: string, fds: ShellFds): string[] {
  return [bash, "--noprofile", "--norc", `/dev/fd/${fds.script}`];
}

/**
 * The start of a validated bash's script (issue 14). Bash reads its script from the command stream through a
 * descriptor of its own, so the inherited one is closed first; then the shell makes itself non-dumpable (the
 * loadable builtin `ccmux_nodump`, native/shell-builtins.c), or exits with 97; turns off history, history expansion and
 * aliases; turns on job control (each command gets the terminal as its own process group, C-c and C-z reach it);
 * catches SIGINT, SIGQUIT and SIGTSTP so a key pressed while it waits for ccmux's next command does nothing
 * (children get the default actions back); defines the two functions ccmux's command text calls, and reports
 * `ready` with its directory.
 *
 * Security: the shell never reads a command from its terminal: whatever the agent or a program types there is
 * input for the program in front, never a command line. Commands come only on the stream only ccmux writes.
 */
export function bashStartup(options: StartupOptions): string {
  const { secret, fds, builtins } = options;
  checkSecret(secret);
  const back = fds.back;
  return [
    `exec ${fds.script}<&-`,
    `builtin enable -f ${singleQuote(builtins)} ccmux_nodump ccmux_cwd ccmux_tty || builtin exit 97`,
    "ccmux_nodump || builtin exit 97",
    "builtin set +o history +o histexpand -m",
    // The terminal's modes as the shell starts, put back after every command (ccmux_tty).
    "ccmux_tty save",
    "builtin shopt -u expand_aliases",
    "builtin unalias -a",
    "builtin trap ':' INT QUIT TSTP",
    `__ccmux_secret=${secret}`,
    // $1 the nonce, $2 the command line as the agent wrote it (shown after a `$ ` prompt). Nothing is printed
    // after a command's D mark until the next command, so its output ends there.
    // PWD is set from getcwd first: programs that trust $PWD must not follow a symlink put where the directory was.
    // The `start` record lists the jobs stopped before the command, so that ccmux tells whether this one was
    // stopped (C-z). No `$(…)`: each would cost a fork.
    `__ccmux_start() { ccmux_tty restore; ccmux_cwd -v PWD; builtin printf 'start\\0%s\\0' "$1" >&${back}; builtin jobs -sp >&${back}; builtin printf '\\0' >&${back}; builtin printf '$ %s\\n\\033]133;C;%s;%s\\a' "$2" "$__ccmux_secret" "$1"; }`,
    // The report: nonce, status, the directory (its exact bytes, written by ccmux_cwd itself), the jobs stopped now.
    `__ccmux_done() { ccmux_tty restore; builtin printf '\\033]133;D;%s;%s\\a' "$__ccmux_secret" "$2"; builtin printf 'done\\0%s\\0%s\\0' "$2" "$1" >&${back}; ccmux_cwd ${back} || builtin printf '\\0' >&${back}; builtin jobs -sp >&${back}; builtin printf '\\0' >&${back}; }`,
    // One job first: with job control on, bash gives the terminal back to its own process group after it, so
    // the group in front when `ready` arrives is the shell's (in the sandbox it starts in the launcher's).
    "( builtin : )",
    `builtin printf 'ready\\0' >&${back}; ccmux_cwd ${back} || builtin printf '\\0' >&${back}`,
    "",
  ].join("\n");
}

/**
 * The script text that runs one step in bash: announce it (the C mark), run it, report its status and the
 * directory (the D mark, then `done` on the report channel); the report channel is closed for the program.
 * `display` is the command line as the agent wrote it, shown after the prompt.
 */
export function bashCommand(step: ShellStep, nonce: string, display: string, fds: ShellFds): string {
  checkNonce(nonce);
  return [
    `__ccmux_start ${nonce} ${shownWord(display)}`,
    `${stepText(step)} ${fds.back}>&-`,
    `__ccmux_done $? ${nonce}`,
    "",
  ].join("\n");
}
