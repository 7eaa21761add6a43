import fs from "node:fs";
import { CcmuxError } from "../errors.js";
import type { ShellStep } from "../shared/shell-step.js";
import { isShellVariable, type ShellDialect } from "../shared/shell-variables.js";
import { canonicalizeInside } from "./canonical-path.js";
import { parseCommandLine } from "./command-line.js";
import { checkAgentVariable } from "./env-filter.js";
import type { CompiledPolicy } from "./policy-compile.js";
import { checkSpawn } from "./spawn-check.js";

/** The words a validated shell runs itself; every other first word must be an allowed program. */
export const SHELL_BUILTINS: readonly string[] = ["cd", "pwd", "export", "unset"];

/**
 * Decides one command line for a validated shell (policy `input: "validated"`, issue 14) whose working directory
 * is `cwd` (canonical, as the shell last reported it). The line is split and checked exactly as spawn checks a
 * command line (checkSpawn: syntax, program, argument shapes, every path held to the workspace), against `cwd`;
 * `cd DIR`, `pwd`, `export NAME=value` and `unset NAME` are the shell's own and are checked here: a directory in
 * the workspace, env.fromAgent names only (never hook names or ones the person fixed). Throws CcmuxError with
 * spawn's codes: COMMAND_SYNTAX_FORBIDDEN, COMMAND_NOT_ALLOWED, ARGS_NOT_ALLOWED, PATH_OUTSIDE_WORKSPACE,
 * PATH_INVALID, ENV_NOT_ALLOWED, INVALID_ARGUMENT, LIMIT_EXCEEDED.
 */
export function checkShellLine(
  policy: CompiledPolicy,
  shell: { dialect: ShellDialect; cwd: string },
  line: string,
  serverEnv: NodeJS.ProcessEnv,
): ShellStep {
  const { dialect, cwd } = shell;
  const words = parseCommandLine(line, policy.limits.maxInputBytes);
  const [word, ...args] = words as [string, ...string[]];
  // Security: the shell's directory may have moved since (renamed, replaced by a symlink out of the workspace):
  // relative paths are resolved against it only while it still is the canonical workspace directory it was.
  const here = stillInside(policy, cwd);
  switch (word) {
    case "cd": {
      if (args.length !== 1 || (args[0] as string).startsWith("-")) {
        throw new CcmuxError("INVALID_ARGUMENT", "cd takes one directory (no options, no `cd -`)", {
          data: { builtin: "cd" },
        });
      }
      const target = args[0] as string;
      // An absolute directory needs nothing from the old one: the way back into the workspace.
      // (Resolved against a workspace root: the shell's own directory may be gone, and getcwd reports nothing.)
      const base = here ?? (target.startsWith("/") ? (policy.workspace[0] as string) : refuseRelative(cwd));
      const dir = canonicalizeInside(target, { cwd: base, roots: policy.workspace });
      if (!isDirectory(dir)) {
        throw new CcmuxError("PATH_INVALID", "cd: not an existing directory", { data: { builtin: "cd" } });
      }
      return { kind: "cd", dir };
    }
    case "pwd":
      if (args.length > 0)
        throw new CcmuxError("INVALID_ARGUMENT", "pwd takes no arguments", { data: { builtin: "pwd" } });
      return { kind: "pwd" };
    case "export": {
      const assignment = args[0] ?? "";
      const equals = assignment.indexOf("=");
      if (args.length !== 1 || equals <= 0) {
        throw new CcmuxError("INVALID_ARGUMENT", "export takes one NAME=value", {
          data: { builtin: "export" },
        });
      }
      const name = assignment.slice(0, equals);
      refuseShellVariable(dialect, name);
      const value = checkAgentVariable(name, assignment.slice(equals + 1), {
        fromAgent: policy.env.fromAgent,
        set: policy.env.set,
      });
      return { kind: "export", name, value };
    }
    case "unset": {
      if (args.length !== 1)
        throw new CcmuxError("INVALID_ARGUMENT", "unset takes one NAME", { data: { builtin: "unset" } });
      const name = args[0] as string;
      refuseShellVariable(dialect, name);
      checkAgentVariable(name, "", { fromAgent: policy.env.fromAgent, set: policy.env.set });
      return { kind: "unset", name };
    }
  }
  if (here === undefined) refuseRelative(cwd);
  const plan = checkSpawn(policy, { command: line, cwd: here }, serverEnv);
  const rule = `commands[${plan.rule.index}] ${JSON.stringify(plan.rule.pattern === "" ? plan.rule.command : `${plan.rule.command} ${plan.rule.pattern}`)}`;
  if (plan.input === "validated") {
    throw new CcmuxError(
      "COMMAND_NOT_ALLOWED",
      "a validated shell does not start another validated shell; spawn it in its own pane",
      { data: { rule: plan.rule.index } },
    );
  }
  if (plan.sessionDir) {
    throw new CcmuxError(
      "COMMAND_NOT_ALLOWED",
      "this program's rule gives it a private session directory, which only a pane of its own has; spawn it",
      { data: { rule: plan.rule.index } },
    );
  }
  return { kind: "exec", argv: plan.argv, input: plan.input, rule };
}

/**
 * Throws ENV_NOT_ALLOWED for a variable the shell itself acts on (shared/shell-variables.ts), even one
 * env.fromAgent lists: it would change the shell, not only the programs it starts.
 */
function refuseShellVariable(dialect: ShellDialect, name: string): void {
  // Security: `export BASH_XTRACEFD=1` then `unset BASH_XTRACEFD` closed the shell's stdout (an attack review);
  // in zsh, assigning UID or EUID calls setuid.
  if (isShellVariable(dialect, name)) {
    throw new CcmuxError(
      "ENV_NOT_ALLOWED",
      `${name} is a variable ${dialect} itself acts on: not in a validated shell`,
      { data: { name } },
    );
  }
}

/** `cwd` when it still canonicalizes to itself inside the workspace; undefined when it moved or left it. */
function stillInside(policy: CompiledPolicy, cwd: string): string | undefined {
  try {
    return canonicalizeInside(cwd, { cwd, roots: policy.workspace }) === cwd && isDirectory(cwd)
      ? cwd
      : undefined;
  } catch {
    return undefined;
  }
}

/** Throws: the shell's directory is no longer the workspace directory it was (only `cd /absolute/dir` helps). */
function refuseRelative(cwd: string): never {
  throw new CcmuxError(
    "PATH_OUTSIDE_WORKSPACE",
    "the shell's working directory is no longer the workspace directory it was (it was moved, or a symlink replaced it): cd to an absolute workspace directory first",
    { data: { cwd } },
  );
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
