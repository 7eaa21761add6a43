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

/**
 * The argv a validated zsh runs with: no start-up files but the system's zshenv (`-f`), its script (and command
 * stream) on `fds.script`. Interactive (`-i`), because zsh gives the terminal to a job only when it is: a command
 * would otherwise run in a background process group and stop at its first read. It still never reads a command
 * from the terminal, only from its script, and no line editor runs.
 */
export function zshArgv(zsh: string, fds: ShellFds): string[] {
  return [zsh, "-f", "-i", `/dev/fd/${fds.script}`];
}

/**
 * The start of a validated zsh's script (issue 14), bashStartup's counterpart:
 * - options back to zsh's defaults (the system zshenv ran first), aliases and functions removed;
 * - the inherited script descriptor closed (zsh reads its script through one of its own, closed for programs);
 * - the module `ccmux_shell` (native/zsh-module.c) loaded, the shell made non-dumpable, the report channel made
 *   close-on-exec, or exit 97;
 * - what an interactive zsh adds turned off: history expansion, aliases, prompts, the `%` mark of PROMPT_SP, HUP
 *   to jobs at exit;
 * - SIGINT and SIGQUIT caught so a key pressed while it waits for ccmux's next command does nothing (zsh, with
 *   job control, ignores SIGTSTP itself; children get the default actions back);
 * - the two functions ccmux's command text calls; `ready` with its directory.
 *
 * Security: the shell never reads a command from its terminal (see bashStartup).
 */
export function zshStartup(options: StartupOptions): string {
  const { secret, fds, builtins } = options;
  checkSecret(secret);
  const back = fds.back;
  return [
    "builtin emulate -R zsh",
    "builtin setopt no_aliases no_bang_hist no_prompt_cr no_prompt_sp no_prompt_subst no_hup no_check_jobs",
    "builtin unalias -m '*'",
    "builtin unfunction -m '*' 2>/dev/null",
    `__ccmux_fd=${fds.script}; exec {__ccmux_fd}<&-; builtin unset __ccmux_fd`,
    `__ccmux_path=($module_path); module_path=(${singleQuote(builtins)})`,
    "builtin zmodload ccmux_shell || builtin exit 97",
    "module_path=($__ccmux_path); builtin unset __ccmux_path",
    "ccmux_nodump || builtin exit 97",
    `ccmux_cloexec ${back} || builtin exit 97`,
    "PS1='' PS2='' PS3='' PS4='' RPS1='' RPS2='' PROMPT_EOL_MARK=''",
    "ccmux_tty save",
    "builtin trap ':' INT QUIT",
    `__ccmux_secret=${secret}`,
    // As in bash (bashStartup); the stopped jobs come from the module (zsh's `jobs` prints no bare process ids).
    `__ccmux_start() { ccmux_tty restore; ccmux_cwd -v PWD; builtin printf 'start\\0%s\\0' "$1" >&${back}; ccmux_stopped ${back}; builtin printf '$ %s\\n\\033]133;C;%s;%s\\a' "$2" "$__ccmux_secret" "$1"; }`,
    // ccmux_tty restore also gives the terminal back to the shell, which zsh itself does only when the job's
    // process group is gone or was signalled.
    `__ccmux_done() { ccmux_tty restore; builtin printf '\\033]133;D;%s;%s\\a' "$__ccmux_secret" "$2"; builtin printf 'done\\0%s\\0%s\\0' "$2" "$1" >&${back}; ccmux_cwd ${back} || builtin printf '\\0' >&${back}; ccmux_stopped ${back}; }`,
    `builtin printf 'ready\\0' >&${back}; ccmux_cwd ${back} || builtin printf '\\0' >&${back}`,
    "",
  ].join("\n");
}

/**
 * The script text that runs one step in zsh: as bashCommand, without the redirection that closes the report
 * channel (it is close-on-exec here).
 */
export function zshCommand(step: ShellStep, nonce: string, display: string): string {
  checkNonce(nonce);
  return [
    `__ccmux_start ${nonce} ${shownWord(display)}`,
    stepText(step),
    `__ccmux_done $? ${nonce}`,
    "",
  ].join("\n");
}
