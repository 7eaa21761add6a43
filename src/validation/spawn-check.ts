import fs from "node:fs";
import path from "node:path";
import { CcmuxError, isCcmuxError } from "../errors.js";
import { PANE_TERM } from "../shared/pane-words.js";
import type { ShellDialect } from "../shared/shell-variables.js";
import { type ArgsMatch, matchArgs, optionInPathSlot } from "./arg-pattern.js";
import { canonicalizeInside } from "./canonical-path.js";
import { parseCommandLine } from "./command-line.js";
import { buildChildEnv } from "./env-filter.js";
import { assertNoRiskyWildcard } from "./option-guard.js";
import { AGENT_PANE_ENV } from "./pane-env-defaults.js";
import { argPieces, looksLikePath } from "./path-like.js";
import type { CompiledCommandRule, CompiledPolicy } from "./policy-compile.js";
import type { InputMode } from "./policy-schema.js";
import { type ResolvedProgram, resolveProgram } from "./program-resolve.js";
import { ASSIGNMENT, allowedProgramsHint, builtinHint, SYNTAX_HINTS } from "./refusal-hints.js";

export interface SpawnRequest {
  /** One command line, split like a shell would, never run by one. */
  command: string;
  /** Working directory; relative to the first workspace root, which is also the default. */
  cwd?: string;
  /** Variables the agent asks to set; only env.fromAgent names. */
  env?: Record<string, string>;
}

export interface SpawnPlan {
  /** argv[0] is the absolute executable path; the rest are the arguments exactly as the agent gave them. */
  argv: string[];
  /** Canonical working directory inside the workspace. */
  cwd: string;
  env: Record<string, string>;
  /** The policy entry and shape that allowed it. */
  rule: { index: number; command: string; pattern: string };
  input: InputMode;
  /** For `input: "validated"`: which shell argv[0] is. */
  shell?: ShellDialect;
  /** Make a private directory for the pane and name it in this variable (see createSessionDir in src/panes). */
  sessionDir?: { env: string; keep: boolean };
}

/** Same file and same name: multi-call binaries (busybox) dispatch on argv[0]'s basename. */
function sameProgram(rule: CompiledCommandRule, program: ResolvedProgram): boolean {
  const exe = rule.executable;
  // Security: /bin/ls and /bin/rm may share one realpath (busybox); python3 vs python3.11 differ by name.
  return (
    exe !== null &&
    exe.realpath === program.realpath &&
    path.basename(exe.path) === path.basename(program.path)
  );
}

function findRules(
  policy: CompiledPolicy,
  word: string,
  serverEnv: NodeJS.ProcessEnv,
): { program: ResolvedProgram; rules: CompiledCommandRule[] } {
  // Security: a program the policy cannot name is refused before the filesystem is asked. Answers that told
  // "not in the policy" from "not found on the server's PATH" or "not an executable file" mapped the host's
  // installed programs and the files in private directories (/root/.cargo/bin/x) for the agent.
  const name = path.basename(word);
  const named = policy.commands.filter(
    (rule) => path.basename(rule.executable?.path ?? rule.command) === name,
  );
  if (named.length === 0) throw notAllowed(policy, word, `"${word}" is not in the policy`);
  if (named.every((rule) => rule.executable === null)) {
    throw notAllowed(policy, word, `"${word}" is in the policy but not installed on the server`);
  }
  let program: ResolvedProgram;
  try {
    // Throws COMMAND_NOT_ALLOWED for relative paths and names not found on the server's PATH.
    program = resolveProgram(word, { serverPath: serverEnv.PATH, roots: policy.workspace });
  } catch (error) {
    if (!isCcmuxError(error) || error.code !== "COMMAND_NOT_ALLOWED") throw error;
    throw notAllowed(policy, word, error.message);
  }
  const rules = policy.commands.filter((rule) => sameProgram(rule, program));
  if (rules.length === 0) throw notAllowed(policy, word, `"${word}" is not in the policy`);
  return { program, rules };
}

/** COMMAND_NOT_ALLOWED with what to do instead: the builtin's replacement, else the programs allowed. */
function notAllowed(policy: CompiledPolicy, word: string, why: string): CcmuxError {
  const allowed = policy.commands.filter((rule) => rule.executable !== null).map((rule) => rule.command);
  const hint = builtinHint(word) ?? allowedProgramsHint(allowed);
  return new CcmuxError("COMMAND_NOT_ALLOWED", `${why}. Instead: ${hint}`, { data: { program: word } });
}

/** `NODE_ENV=test node …`: a shell would set a variable; ccmux would look for a program named `NODE_ENV=test`. */
function refuseAssignment(policy: CompiledPolicy, words: readonly string[]): void {
  const names: string[] = [];
  for (const w of words) {
    if (!ASSIGNMENT.test(w)) break;
    names.push(w.slice(0, w.indexOf("=")));
  }
  if (names.length === 0) return;
  const settable =
    policy.env.fromAgent.length > 0
      ? `this policy lets you set ${policy.env.fromAgent.join(", ")}`
      : "this policy lets you set no variable";
  throw new CcmuxError(
    "COMMAND_SYNTAX_FORBIDDEN",
    `the command line starts with a variable assignment (${names.join(", ")}), which is shell syntax; ccmux runs no shell. Instead: ${SYNTAX_HINTS.assignment} (${settable})`,
    { data: { syntax: "assignment", names } },
  );
}

function checkCwd(policy: CompiledPolicy, requested: string | undefined): string {
  const base = policy.workspace[0];
  if (base === undefined) throw new CcmuxError("INTERNAL", "the policy has no workspace root");
  if (requested === undefined) return base;
  const cwd = canonicalizeInside(requested, { cwd: base, roots: policy.workspace });
  let isDirectory = false;
  try {
    isDirectory = fs.statSync(cwd).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory)
    throw new CcmuxError("PATH_INVALID", "cwd is not an existing directory", { data: { field: "cwd" } });
  return cwd;
}

/** True when `cwd/name` exists, a dangling symlink included. */
function entryExists(cwd: string, name: string): boolean {
  try {
    fs.lstatSync(path.join(cwd, name));
    return true;
  } catch {
    return false;
  }
}

/**
 * Holds every piece of one argument that could name a file to the workspace: path-like pieces always, bare
 * names when they exist in cwd. Re-throws so that the error names the argument (argv index), never a path.
 */
function checkArgPaths(
  arg: string,
  argIndex: number,
  ctx: { cwd: string; roots: readonly string[]; rule: number; whole: boolean },
): void {
  try {
    if (ctx.whole) canonicalizeInside(arg, ctx);
    for (const piece of argPieces(arg)) {
      // Security: a bare `notes.txt` planted by the repo as a symlink to ~/.ssh/id_rsa is a path too.
      if (looksLikePath(piece) || entryExists(ctx.cwd, piece)) canonicalizeInside(piece, ctx);
    }
  } catch (error) {
    const code = isCcmuxError(error) ? error.code : "PATH_INVALID";
    const why = code === "PATH_OUTSIDE_WORKSPACE" ? "is outside the workspace" : "is not an acceptable path";
    throw new CcmuxError(code, `argument ${argIndex} ${why}${pathHint(arg, code)}`, {
      data: { rule: ctx.rule, argIndex, reason: error instanceof Error ? error.message : String(error) },
      cause: error,
    });
  }
}

/** What to do instead of a path outside the workspace; `~` first, since no shell expands it. */
function pathHint(arg: string, code: string): string {
  if (code !== "PATH_OUTSIDE_WORKSPACE") return "";
  if (argPieces(arg).some((piece) => piece.startsWith("~"))) {
    return ". Instead: `~` is not expanded and the home directory is outside the workspace; use a path relative to cwd";
  }
  return ". Instead: use a path inside the workspace (the policy tool lists its roots), relative to cwd";
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

interface ChosenRule extends ArgsMatch {
  rule: CompiledCommandRule;
}

/** Basenames to look a rule's program up by in the risky-options table: the rule's, the exec'd, the real. */
function programNames(rule: CompiledCommandRule, program: ResolvedProgram): string[] {
  const paths = [
    rule.command,
    rule.executable?.path,
    program.path,
    rule.executable?.realpath,
    program.realpath,
  ];
  return [...new Set(paths.filter((p): p is string => p !== undefined).map((p) => path.basename(p)))];
}

/** The refusal for arguments a wildcard let in that run, load or write (option-guard.ts); null when none. */
function riskyRefusal(
  found: ChosenRule,
  args: readonly string[],
  ctx: { word: string; names: readonly string[] },
): CcmuxError | null {
  const wild = new Set(found.wildcardArgs);
  const paths = new Set(found.pathArgs);
  try {
    assertNoRiskyWildcard(
      ctx.names,
      args,
      (i) => wild.has(i),
      { program: ctx.word, rule: found.rule.index },
      (i) => paths.has(i),
    );
    return null;
  } catch (error) {
    if (isCcmuxError(error)) return error;
    throw error;
  }
}

/**
 * Among one program's entries, the first shape that matches decides; else ARGS_NOT_ALLOWED. A shape whose
 * `*`/`**` let in an option that runs, loads or writes is passed over for a later one that spells it out.
 */
function chooseRule(
  rules: readonly CompiledCommandRule[],
  args: readonly string[],
  ctx: { word: string; program: ResolvedProgram },
): ChosenRule {
  const { word } = ctx;
  let fallback: ChosenRule | null = null;
  let risky: CcmuxError | null = null;
  for (const rule of rules) {
    const names = programNames(rule, ctx.program);
    for (const [patternIndex, pattern] of rule.patterns.entries()) {
      const found = matchArgs([pattern], args);
      if (found === null) continue;
      const chosen = { rule, ...found, patternIndex };
      if (optionInPathSlot(found, args)) {
        fallback ??= chosen;
        continue;
      }
      // Security: `git log **` must not admit `--output=FILE`, nor `sed -n **` a `1e cmd` script.
      const refusal = riskyRefusal(chosen, args, { word, names });
      if (refusal === null) return chosen;
      risky ??= refusal;
    }
  }
  if (risky !== null) throw risky;
  // Only this program's shapes: the message never lists the whole allowlist.
  const shapes = rules.flatMap((rule) => rule.patternSources).map((s) => JSON.stringify(s));
  // An option where a shape wants a path (`cat -n`, `node --inspect`) is an option the policy does not allow,
  // not a badly written path: the advice is the program's shapes, not `./`.
  const option = fallback?.pathArgs.find((i) => (args[i] ?? "").startsWith("-"));
  const why =
    option === undefined
      ? ""
      : ` (argument ${option + 1} is an option where a shape takes a path; a file whose name starts with - is written ./${truncate(args[option] ?? "")})`;
  throw new CcmuxError(
    "ARGS_NOT_ALLOWED",
    `these arguments are not allowed for "${word}"; allowed: ${shapes.join(", ")}${why}`,
    {
      data: { program: word, rules: rules.map((rule) => rule.index) },
    },
  );
}

/**
 * Decides a spawn request: size and characters, word split (no shell), program resolution, the program's
 * policy entries, cwd, argument shapes (the first entry whose shape matches decides `input`), every path
 * argument held to the workspace, then the child's environment. Returns what to exec, or throws CcmuxError
 * (COMMAND_SYNTAX_FORBIDDEN, LIMIT_EXCEEDED, COMMAND_NOT_ALLOWED, ARGS_NOT_ALLOWED, PATH_OUTSIDE_WORKSPACE,
 * PATH_INVALID, ENV_NOT_ALLOWED, INVALID_ARGUMENT) whose data carries facts for the audit log.
 */
export function checkSpawn(
  policy: CompiledPolicy,
  req: SpawnRequest,
  serverEnv: NodeJS.ProcessEnv,
): SpawnPlan {
  const words = parseCommandLine(req.command, policy.limits.maxInputBytes);
  refuseAssignment(policy, words);
  const word = words[0] as string;
  const args = words.slice(1);
  const { program, rules } = findRules(policy, word, serverEnv);
  const cwd = checkCwd(policy, req.cwd);
  const chosen = chooseRule(rules, args, { word, program });
  const ctx = { cwd, roots: policy.workspace, rule: chosen.rule.index };
  for (const i of chosen.pathArgs) {
    const arg = args[i] as string;
    // Security: `node {path}` given `--require=/x` would be read as an option, not as the path we checked.
    // (chooseRule already refuses such a match; this holds even if it changes.)
    if (arg.startsWith("-")) {
      throw new CcmuxError(
        "ARGS_NOT_ALLOWED",
        `argument ${i + 1} is an option where the shape takes a path`,
        {
          data: { rule: chosen.rule.index, argIndex: i + 1 },
        },
      );
    }
    checkArgPaths(arg, i + 1, { ...ctx, whole: true });
  }
  for (const i of chosen.wildcardArgs) checkArgPaths(args[i] as string, i + 1, { ...ctx, whole: false });
  const env = buildChildEnv({
    serverEnv,
    pass: policy.env.pass,
    passSecrets: policy.env.passSecrets,
    fromAgent: policy.env.fromAgent,
    agentEnv: req.env,
    set: policy.env.set,
    term: PANE_TERM,
  });
  // Security: a pager in an agent's pane (less, or man and git through it) runs `!cmd`, `|cmd`, `v` (editor),
  // saves files (`s`, -o) and reads LESSOPEN: less(1) SECURITY, LESSSECURE=1 turns all of that off.
  Object.assign(env, AGENT_PANE_ENV);
  // Security: exec the path the policy resolved, not the agent's spelling of it: an absolute path through a
  // workspace symlink matched the rule's file at check time but could be swapped before exec.
  const executable = chosen.rule.executable?.path ?? program.path;
  return {
    argv: [executable, ...args],
    cwd,
    env,
    rule: {
      index: chosen.rule.index,
      command: chosen.rule.command,
      pattern: chosen.rule.patternSources[chosen.patternIndex] ?? "",
    },
    input: chosen.rule.input,
    ...(chosen.rule.shell ? { shell: chosen.rule.shell } : {}),
    ...(chosen.rule.sessionDir ? { sessionDir: { ...chosen.rule.sessionDir } } : {}),
  };
}
