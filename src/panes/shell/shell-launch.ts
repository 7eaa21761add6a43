import { existsSync, fchownSync } from "node:fs";
import { join } from "node:path";
import { CcmuxError } from "../../errors.js";
import { addon, SHELL_BUILTINS, ZSH_MODULE_FILE } from "../../native/addon.js";
import { isShellVariable, type ShellDialect } from "../../shared/shell-variables.js";
import { SHELL_BUILTINS_IN_SANDBOX } from "../sandbox/bwrap-args.js";
import { type ShellPane, ValidatedShell } from "./validated-shell.js";

/** What a validated shell's pane is started with: the argv as checked (argv[0] the shell) and its environment. */
export interface ShellLaunchSpec {
  argv: readonly string[];
  env: Record<string, string>;
  cwd: string;
  shell?: ShellDialect;
}

/**
 * Prepares a validated shell (policy `input: "validated"`) for a pane: its pipes and start-up text, and what the
 * pane's process is really started with (the shell's own argv, the environment without the shell's own
 * variables). `pane` gives the pane once it exists (the shell sees the pane's output only after). The caller
 * starts the process with `launched`, then calls `shell.launched()` (also when the start failed, after
 * `shell.end`). Throws SPAWN_FAILED when zsh's module was not built.
 */
export function prepareValidatedShell<Spec extends ShellLaunchSpec>(
  spec: Spec,
  options: { pane: () => ShellPane | undefined; sandboxed: boolean; paneUser?: { uid: number; gid: number } },
): { shell: ValidatedShell; launched: Spec } {
  const dialect = spec.shell;
  if (dialect === undefined) throw new Error("a validated shell's spec names no shell");
  if (dialect === "zsh" && !existsSync(join(SHELL_BUILTINS.zsh, ZSH_MODULE_FILE))) {
    throw new CcmuxError(
      "SPAWN_FAILED",
      "ccmux's zsh module was not built (it needs zsh's headers: install zsh-dev, then build ccmux again); nothing was started.",
    );
  }
  const { pane } = options;
  const hooks: ShellPane = {
    markSince: () => pane()?.markSince() ?? Promise.resolve(undefined),
    releaseSince: (mark) => pane()?.releaseSince(mark),
    textFrom: async (mark) => pane()?.textFrom(mark) ?? { text: "" },
    foregroundGroup: () => pane()?.foregroundGroup() ?? -1,
    flushInput: () => pane()?.flushInput(),
    quiet: async (ms) => pane()?.quiet(ms),
  };
  const shell = new ValidatedShell(hooks, {
    dialect,
    cwd: spec.cwd,
    builtins: options.sandboxed ? SHELL_BUILTINS_IN_SANDBOX[dialect] : SHELL_BUILTINS[dialect],
    makePipe: (nonBlockingRead) => addon.makePipe(nonBlockingRead),
  });
  // The shell opens its script as /dev/fd/N: a pane user other than the server's must own the pipe to open it (the
  // shell makes itself non-dumpable first thing, after which nobody else can open it through /proc).
  if (options.paneUser) fchownSync(shell.childFds.script, options.paneUser.uid, options.paneUser.gid);
  const env = Object.fromEntries(
    // Security: nothing in the environment changes what the shell's start-up and commands mean.
    Object.entries(spec.env).filter(([name]) => !isShellVariable(dialect, name)),
  );
  return { shell, launched: { ...spec, argv: shell.argv(spec.argv[0] as string), env } };
}
