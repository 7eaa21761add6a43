import type { InputMode } from "./pane-words.js";

/**
 * One command line for a validated shell (policy `input: "validated"`), as validation/shell-line.ts decided it and
 * panes/shell/bash-text.ts types it:
 * - `exec`: an allowed program, exactly as spawn would start it (absolute executable first); `input` is its
 *   rule's input mode, the one send_keys follows while it holds the terminal;
 * - `cd`: the shell's working directory becomes `dir` (canonical, inside the workspace, a directory);
 * - `pwd`: prints it;
 * - `export` / `unset`: a variable the agent may set (env.fromAgent), for the programs the shell starts later.
 */
export type ShellStep =
  | { kind: "exec"; argv: string[]; input: InputMode; rule: string }
  | { kind: "cd"; dir: string }
  | { kind: "pwd" }
  | { kind: "export"; name: string; value: string }
  | { kind: "unset"; name: string };
