import { closeSync, constants, openSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { POLICY_FILE_NAME } from "./policy-location.js";

/**
 * The starter policy: the current directory as workspace and a few read-only commands. Each rule's
 * `description` explains it, since JSON has no comments.
 */
export const STARTER_POLICY = {
  workspace: ["."],
  commands: [
    {
      command: "ls",
      args: ["", "**"],
      description: "List files; path arguments must stay in the workspace.",
    },
    { command: "cat", args: ["{path}"], description: "Print one workspace file." },
    {
      command: "git",
      args: ["status **", "diff **", "log **", "show **"],
      description:
        "Read-only git: status, diff, log and show with any options except those that write files or run programs (--output, --ext-diff, --textconv, -c, …), which ccmux refuses unless a rule spells them out.",
    },
    { command: "echo", args: ["**"] },
    { command: "pwd", description: "No arguments allowed: omitted args means none." },
  ],
  // `set`: variables every pane gets with the value given here (names only are shown to the agent). Panes
  // already get PAGER=cat and GIT_PAGER=cat, so git log and man print and exit; `set` can choose others.
  env: {
    pass: ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER"],
    passSecrets: [],
    fromAgent: [],
    set: {},
  },
  panes: [],
  limits: { maxPanes: 8, callsPerMinute: 120, scrollbackLines: 10000, maxInputBytes: 4096 },
  // Panes run only inside the bubblewrap sandbox; hide/expose/readOnly extend the built-in lists.
  sandbox: { mode: "required", network: false, hide: [], expose: [], gitWrites: false, readOnly: [] },
};

/** `ccmux init`: writes ./ccmux.json; never overwrites an existing file unless `force`. */
export function initPolicy(options: { force?: boolean; cwd?: string }): number {
  const path = resolve(options.cwd ?? process.cwd(), POLICY_FILE_NAME);
  const flags =
    constants.O_WRONLY |
    constants.O_CREAT |
    constants.O_NOFOLLOW |
    (options.force ? constants.O_TRUNC : constants.O_EXCL);
  let fd: number;
  try {
    fd = openSync(path, flags, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(
      code === "EEXIST"
        ? `ccmux: ${path} already exists; use --force to replace it.`
        : `ccmux: cannot write ${path}: ${(error as Error).message}`,
    );
    return 1;
  }
  try {
    writeSync(fd, `${JSON.stringify(STARTER_POLICY, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  process.stdout.write(
    `Wrote ${path}. Check a command against it with: ccmux policy check --config ${POLICY_FILE_NAME} "git status"\n`,
  );
  return 0;
}
