import fs from "node:fs";
import path from "node:path";
import { CcmuxError, isCcmuxError } from "../errors.js";
import { type ShellDialect, shellDialectOf } from "../shared/shell-variables.js";
import {
  type AnomalyPolicy,
  DEFAULT_NETWORK_PROGRAMS,
  DEFAULT_READ_PROGRAMS,
  DEFAULT_SENSITIVE_PATHS,
} from "./anomaly-rules.js";
import { type CompiledPattern, compileArgPattern } from "./arg-pattern.js";
import { canonicalRoot, isInside } from "./canonical-path.js";
import { parseCommandLine } from "./command-line.js";
import { isHookName, validateFromAgentList } from "./env-filter.js";
import { checkEnvSet } from "./env-set.js";
import { salvagePolicy } from "./policy-salvage.js";
import {
  type InputMode,
  type PaneAccess,
  type PersonPaneFile,
  type PolicyFile,
  type PolicyLimits,
  policySchema,
  type SandboxMode,
} from "./policy-schema.js";
import type { ProbingPolicy } from "./probing-brake.js";
import { type ResolvedProgram, resolveProgram, versionManagerShim } from "./program-resolve.js";
import { isShellName, risksOf } from "./risky-options.js";
import {
  DEFAULT_AGENT_CONFIG,
  DEFAULT_HIDDEN,
  DEFAULT_READ_ONLY,
  GIT_WRITES_READ_ONLY,
  hidePatternProblem,
  readOnlyPatternProblem,
} from "./sandbox-paths.js";
import { isSecretName } from "./secret-names.js";
import { workspaceRoots } from "./workspace-roots.js";

export interface CompiledCommandRule {
  /** Position in the policy's `commands`. */
  index: number;
  /** The program as the person wrote it. */
  command: string;
  /** Where it resolved at load; null when not found (spawning it then fails COMMAND_NOT_ALLOWED). */
  executable: Readonly<ResolvedProgram> | null;
  patterns: readonly CompiledPattern[];
  patternSources: readonly string[];
  input: InputMode;
  /** For `input: "validated"`: which shell the program is (bash or zsh; checkValidatedRule refuses the rest). */
  shell?: ShellDialect;
  description?: string;
  /** A private directory for each pane of this program, passed in this variable (seed §1.1). */
  sessionDir?: { env: string; keep: boolean };
}

export interface CompiledPersonPane {
  name: string;
  /** argv[0] resolved to an absolute path. */
  argv: readonly string[];
  cwd: string;
  access: PaneAccess;
  input: InputMode;
  cols?: number;
  rows?: number;
}

export interface CompiledPolicy {
  baseDir: string;
  /** Canonical workspace roots. */
  workspace: readonly string[];
  commands: readonly CompiledCommandRule[];
  env: {
    pass: readonly string[];
    passSecrets: readonly string[];
    fromAgent: readonly string[];
    /** Variables the person fixed for every pane (env.set); values may be secrets: never shown to the agent. */
    set: Readonly<Record<string, string>>;
  };
  panes: readonly CompiledPersonPane[];
  limits: Readonly<PolicyLimits & { burst: number }>;
  audit: {
    path: string;
    maxBytes: number;
    keep: number;
    sync: "batched" | "each";
    redactInput: boolean;
    connectionBytesPerMinute?: number;
  };
  sandbox: CompiledSandbox;
  /** Pane history kept across daemon restarts (issue 15); `scrollback` undefined: the mode's default. */
  persist: { scrollback?: boolean; masterKey: "auto" | "keyring" | "file" };
  anomalies: AnomalyPolicy & { probing: ProbingPolicy };
  /** Things that load but deserve the person's attention (a program not found, a secret in env.pass). */
  warnings: readonly string[];
}

export interface CompiledSandbox {
  mode: SandboxMode;
  network: boolean;
  /** Hidden path patterns (absolute or ~/…): the defaults less `expose`, plus `hide`. */
  hide: readonly string[];
  /** Panes may change .git except hooks and config. */
  gitWrites: boolean;
  /** Read-only patterns relative to each workspace root: the defaults plus `readOnly`. */
  readOnly: readonly string[];
  /** `sandbox.user` as written (resolved against the host's users when the server starts as root). */
  user?: string | number;
  /** Agent and editor configuration kept read-only: the defaults less `agentConfigWritable`. */
  agentConfig: readonly string[];
}

export interface CompileOptions {
  /** Directory of the policy file; relative paths in it resolve here. */
  baseDir: string;
  /** The server's own PATH. */
  serverPath: string | undefined;
  /** Absolute audit log path used when the policy names none. */
  defaultAuditPath: string;
}

interface PolicyProblem {
  path: string;
  message: string;
}

/** A warning's leading `commands[2]:` as the file numbers it. */
function restoreWarning(warning: string, restorePath: (p: string) => string): string {
  const colon = warning.indexOf(": ");
  return colon === -1 ? warning : `${restorePath(warning.slice(0, colon))}${warning.slice(colon)}`;
}

function formatPath(keys: readonly PropertyKey[]): string {
  return keys
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join("");
}

function messageOf(error: unknown): string {
  return isCcmuxError(error) || error instanceof Error ? error.message : String(error);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function resolveAgainst(baseDir: string, p: string): string {
  return path.isAbsolute(p) ? p : `${baseDir}/${p}`;
}

function compileWorkspace(policy: PolicyFile, baseDir: string, problems: PolicyProblem[]): string[] {
  const { roots, problems: missing } = workspaceRoots(policy.workspace, baseDir);
  for (const { index, message } of missing) problems.push({ path: `workspace[${index}]`, message });
  return roots;
}

/** True when `command` is one plain word that the command-line parser reads back unchanged. */
function isOneWord(command: string): boolean {
  try {
    const words = parseCommandLine(command, Buffer.byteLength(command, "utf8"));
    return words.length === 1 && words[0] === command;
  } catch {
    return false;
  }
}

/** Resolves a rule's program at load; not found is a warning (spawning it is then refused), not an error. */
function compileExecutable(
  command: string,
  where: string,
  ctx: { roots: readonly string[]; serverPath: string | undefined },
  problems: PolicyProblem[],
  warnings: string[],
): ResolvedProgram | null {
  if (!isOneWord(command)) {
    problems.push({
      path: `${where}.command`,
      message: "must be one program name, without arguments or quoting",
    });
    return null;
  }
  if (command.includes("/") && !path.isAbsolute(command)) {
    problems.push({
      path: `${where}.command`,
      message: "a relative path; use a bare name or an absolute path",
    });
    return null;
  }
  let executable: ResolvedProgram;
  try {
    executable = resolveProgram(command, ctx);
  } catch (error) {
    warnings.push(`${where}: ${messageOf(error)}; spawning it will be refused`);
    return null;
  }
  if (ctx.roots.some((root) => isInside(executable.realpath, root))) {
    warnings.push(`${where}: ${command} lies inside the workspace, where the agent can rewrite it`);
  }
  const shim = versionManagerShim(executable);
  if (shim !== undefined) {
    // Security: a pyenv/asdf/mise shim runs whatever interpreter `.python-version` (a workspace file) names.
    warnings.push(
      `${where}: ${command} is a ${shim} shim: the program it runs is chosen by files in the working directory (.python-version, .tool-versions, …) that the agent can write; name the real interpreter by its absolute path (e.g. the output of \`${shim} which ${path.basename(command)}\`)`,
    );
  }
  return executable;
}

/**
 * Rule-level checks that need the program's kind: `input: keys` on a shell is refused (Up then Enter re-runs
 * the history the shell loaded, the person's included); `*`/`**` on a program that runs code is a warning.
 */
function checkRuleRisks(
  rule: { where: string; names: readonly string[]; input: InputMode; patternSources: readonly string[] },
  problems: PolicyProblem[],
  warnings: string[],
): void {
  const shell = rule.names.find(isShellName);
  if (rule.input === "keys" && shell !== undefined) {
    // Security: `keys` looks like a boundary but Up, Enter re-run any command in the shell's history.
    problems.push({
      path: `${rule.where}.input`,
      message: `"keys" is no boundary for the shell ${shell}: Up then Enter re-runs commands from its history; use "none", or "raw" if the agent may type commands`,
    });
  }
  if (rule.input === "validated") checkValidatedRule(rule, problems);
  const risks = risksOf(rule.names);
  const wild = rule.patternSources.filter((source) => /(^| )\*\*?( |$)/.test(source));
  if (risks?.runsCode && wild.length > 0) {
    warnings.push(
      `${rule.where}: ${rule.names[0]} runs code and ${wild.map((w) => JSON.stringify(w)).join(", ")} lets the agent choose its arguments: options that run, load or write are refused unless spelled out, but programs and scripts the agent writes in the workspace can still run`,
    );
  }
}

/**
 * The argument shapes a validated shell's rule may have: ccmux starts the shell with its own options (bash-text.ts,
 * zsh-text.ts), the ones these say.
 */
const VALIDATED_SHAPES: Record<ShellDialect, ReadonlySet<string>> = {
  bash: new Set(["", "--norc --noprofile", "--noprofile --norc"]),
  zsh: new Set(["", "-f", "--no-rcs"]),
};

/**
 * `input: "validated"` is for bash and zsh, whose commands ccmux then types itself (issue 14). Refused with a
 * reason: any other program (there is no command line to check in it), argument shapes beyond the ones ccmux
 * starts the shell with (VALIDATED_SHAPES: others would be ignored).
 */
function checkValidatedRule(
  rule: { where: string; names: readonly string[]; patternSources: readonly string[] },
  problems: PolicyProblem[],
): void {
  const inputPath = `${rule.where}.input`;
  const dialect = shellDialectOf(rule.names);
  if (dialect === undefined) {
    problems.push({
      path: inputPath,
      message: `"validated" is for shells whose every command ccmux checks (bash, zsh); ${rule.names[0]} is not one: use "none", "keys" or "raw"`,
    });
    return;
  }
  const shapes = VALIDATED_SHAPES[dialect];
  const other = rule.patternSources.filter((source) => !shapes.has(source.trim().replace(/ +/g, " ")));
  if (other.length > 0) {
    problems.push({
      path: `${rule.where}.args`,
      message: `a validated shell starts with ccmux's own options (no rc files, its start-up script): its args may only be ${[...shapes].map((shape) => JSON.stringify(shape)).join(" or ")}, not ${other.map((o) => JSON.stringify(o)).join(", ")}`,
    });
  }
}

function compileCommands(
  policy: PolicyFile,
  ctx: { roots: readonly string[]; serverPath: string | undefined },
  problems: PolicyProblem[],
  warnings: string[],
): CompiledCommandRule[] {
  return policy.commands.map((rule, index) => {
    const where = `commands[${index}]`;
    const patternSources = rule.args ?? [""];
    const patterns: CompiledPattern[] = [];
    for (const [j, source] of patternSources.entries()) {
      try {
        patterns.push(compileArgPattern(source));
      } catch (error) {
        problems.push({ path: `${where}.args[${j}]`, message: messageOf(error) });
      }
    }
    const executable = compileExecutable(rule.command, where, ctx, problems, warnings);
    const names = [rule.command, executable?.realpath ?? rule.command].map((p) => path.basename(p));
    checkRuleRisks({ where, names, input: rule.input ?? "none", patternSources }, problems, warnings);
    const compiled: CompiledCommandRule = {
      index,
      command: rule.command,
      executable,
      patterns,
      patternSources,
      input: rule.input ?? "none",
    };
    if (rule.description !== undefined) compiled.description = rule.description;
    const dialect = shellDialectOf(names);
    if (compiled.input === "validated" && dialect !== undefined) compiled.shell = dialect;
    if (rule.sessionDir !== undefined) {
      // Security: the directory's variable must not be one that makes programs load code (LD_PRELOAD, …).
      if (isHookName(rule.sessionDir.env)) {
        problems.push({
          path: `${where}.sessionDir.env`,
          message: "a loader or interpreter hook cannot name the session directory",
        });
      }
      compiled.sessionDir = { env: rule.sessionDir.env, keep: rule.sessionDir.keep ?? false };
    }
    return compiled;
  });
}

function compileSandbox(policy: PolicyFile, problems: PolicyProblem[]): CompiledSandbox {
  const { mode, network, hide, expose, gitWrites, readOnly, agentConfigWritable, user } = policy.sandbox;
  for (const [i, entry] of agentConfigWritable.entries()) {
    if (entry !== "*" && !DEFAULT_AGENT_CONFIG.includes(entry))
      problems.push({
        path: `sandbox.agentConfigWritable[${i}]`,
        message: `"${entry}" is not one of the default read-only agent configuration paths`,
      });
  }
  for (const [i, entry] of expose.entries()) {
    if (!DEFAULT_HIDDEN.includes(entry))
      problems.push({
        path: `sandbox.expose[${i}]`,
        message: `"${entry}" is not one of the default hidden paths`,
      });
  }
  for (const [i, entry] of hide.entries()) {
    const problem = hidePatternProblem(entry);
    if (problem) problems.push({ path: `sandbox.hide[${i}]`, message: problem });
  }
  for (const [i, entry] of readOnly.entries()) {
    const problem = readOnlyPatternProblem(entry);
    if (problem) problems.push({ path: `sandbox.readOnly[${i}]`, message: problem });
  }
  const hidden = [...DEFAULT_HIDDEN.filter((entry) => !expose.includes(entry)), ...hide];
  return {
    mode,
    network,
    hide: [...new Set(hidden)],
    gitWrites,
    readOnly: [...new Set([...(gitWrites ? GIT_WRITES_READ_ONLY : DEFAULT_READ_ONLY), ...readOnly])],
    ...(user === undefined ? {} : { user }),
    agentConfig: agentConfigWritable.includes("*")
      ? []
      : DEFAULT_AGENT_CONFIG.filter((entry) => !agentConfigWritable.includes(entry)),
  };
}

function compilePane(
  pane: PersonPaneFile,
  where: string,
  ctx: { roots: readonly string[]; serverPath: string | undefined; baseDir: string; maxBytes: number },
  problems: PolicyProblem[],
): CompiledPersonPane | undefined {
  let argv: string[];
  let cwd: string;
  try {
    // Person panes bypass the allowlist (they are the person's own) but still run without a shell.
    const words = parseCommandLine(pane.command, ctx.maxBytes);
    const program = resolveProgram(words[0] as string, ctx);
    argv = [program.path, ...words.slice(1)];
  } catch (error) {
    problems.push({ path: `${where}.command`, message: messageOf(error) });
    return undefined;
  }
  try {
    // A person pane may run outside the workspace: its cwd is the person's choice, not the agent's.
    if (pane.cwd !== undefined) cwd = canonicalRoot(resolveAgainst(ctx.baseDir, pane.cwd));
    else if (ctx.roots[0] !== undefined) cwd = ctx.roots[0];
    else return undefined; // no valid workspace root; that problem is already listed
  } catch (error) {
    problems.push({ path: `${where}.cwd`, message: messageOf(error) });
    return undefined;
  }
  const input = pane.input ?? "raw";
  if (input === "validated") {
    problems.push({
      path: `${where}.input`,
      message: '"validated" is for the agent\'s shells (commands); a person pane is "none", "keys" or "raw"',
    });
    return undefined;
  }
  const shell = [argv[0] as string, realpathOrSelf(argv[0] as string)]
    .map((p) => path.basename(p))
    .find(isShellName);
  if (pane.access === "write" && input === "keys" && shell !== undefined) {
    // Security: the person's own shell: Up then Enter re-runs the person's commands with the person's rights.
    problems.push({
      path: `${where}.input`,
      message: `"keys" is no boundary for the shell ${shell}: Up then Enter re-runs the person's history; use access "read", or input "raw" if the agent may type commands`,
    });
  }
  const compiled: CompiledPersonPane = {
    name: pane.name,
    argv,
    cwd,
    access: pane.access,
    input,
  };
  if (pane.cols !== undefined) compiled.cols = pane.cols;
  if (pane.rows !== undefined) compiled.rows = pane.rows;
  return compiled;
}

/** `env.set` as written in the file, before the schema dropped anything from it. */
function envSetOf(raw: unknown): unknown {
  const env = raw !== null && typeof raw === "object" ? (raw as { env?: unknown }).env : undefined;
  return env !== null && typeof env === "object" ? (env as { set?: unknown }).set : undefined;
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return p;
  }
}

function compilePanes(
  policy: PolicyFile,
  ctx: { roots: readonly string[]; serverPath: string | undefined; baseDir: string; maxBytes: number },
  problems: PolicyProblem[],
): CompiledPersonPane[] {
  const seen = new Set<string>();
  const panes: CompiledPersonPane[] = [];
  for (const [i, pane] of policy.panes.entries()) {
    if (seen.has(pane.name))
      problems.push({ path: `panes[${i}].name`, message: `duplicate pane name "${pane.name}"` });
    seen.add(pane.name);
    const compiled = compilePane(pane, `panes[${i}]`, ctx, problems);
    if (compiled !== undefined) panes.push(compiled);
  }
  return panes;
}

/**
 * Validates and compiles a parsed policy file: the schema, and every meaning check in the same pass (workspace
 * roots exist, argument shapes compile, no hook name in env.fromAgent, person panes parse and resolve, unique
 * pane names, the audit log not directly in a root) — on the parts that pass the schema when the whole does
 * not (see policy-salvage.ts). Throws POLICY_INVALID with `data.errors` listing every problem as
 * {path, message}, schema problems first, and `data.warnings`. Programs not on the PATH are warnings, not
 * errors. The result is deeply frozen.
 */
export function compilePolicy(raw: unknown, opts: CompileOptions): CompiledPolicy {
  const parsed = policySchema.safeParse(raw);
  const schemaProblems: PolicyProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
  const { policy, restorePath } = parsed.success
    ? { policy: parsed.data, restorePath: (p: string) => p }
    : salvagePolicy(raw);
  const baseDir = path.resolve(opts.baseDir);
  const problems: PolicyProblem[] = [];
  const warnings: string[] = [];
  const roots = compileWorkspace(policy, baseDir, problems);
  if (roots.includes("/")) warnings.push("workspace: the root directory / admits every path");
  const ctx = { roots, serverPath: opts.serverPath, baseDir, maxBytes: policy.limits.maxInputBytes };
  const commands = compileCommands(policy, ctx, problems, warnings);
  for (const problem of validateFromAgentList(policy.env.fromAgent)) {
    problems.push({ path: `env.fromAgent[${problem.index}]`, message: problem.message });
  }
  for (const [i, name] of policy.env.pass.entries()) {
    if (isSecretName(name) && !policy.env.passSecrets.includes(name)) {
      warnings.push(
        `env.pass[${i}]: ${name} looks like a secret and is not passed; list it in env.passSecrets`,
      );
    }
  }
  const envSet = checkEnvSet(policy.env.set, {
    raw: envSetOf(raw),
    fromAgent: policy.env.fromAgent,
    sessionDirs: commands.flatMap((rule) =>
      rule.sessionDir ? [{ env: rule.sessionDir.env, where: `commands[${rule.index}]` }] : [],
    ),
    pass: policy.env.pass,
  });
  problems.push(...envSet.problems);
  warnings.push(...envSet.warnings);
  const panes = compilePanes(policy, ctx, problems);
  const sandbox = compileSandbox(policy, problems);
  const auditPath = path.resolve(
    policy.audit.path === undefined ? opts.defaultAuditPath : path.resolve(baseDir, policy.audit.path),
  );
  const logDir = path.dirname(auditPath);
  // Security: a mount covers only the log file present when a pane starts; after a rotation the live log
  // there would be a new, uncovered file a pane could read (what the agent typed) and truncate.
  if (sandbox.mode !== "off" && roots.includes(logDir)) {
    problems.push({
      path: "audit.path",
      message: `the audit log ${auditPath} lies directly in workspace root ${logDir}, where a pane could read and erase it once it rotates; put it outside the workspace (the default, under $XDG_STATE_HOME) or in a directory of its own, which panes then do not see`,
    });
  }
  if (sandbox.mode === "off") warnings.push("sandbox.mode is off: panes run with the server's privileges");
  if (schemaProblems.length + problems.length > 0) {
    const errors = [
      ...schemaProblems,
      ...problems.map((problem) => ({ ...problem, path: restorePath(problem.path) })),
    ];
    throw new CcmuxError("POLICY_INVALID", `the policy has ${errors.length} error(s)`, {
      data: { errors, warnings: warnings.map((warning) => restoreWarning(warning, restorePath)) },
    });
  }
  return deepFreeze({
    baseDir,
    workspace: roots,
    commands,
    env: {
      pass: policy.env.pass,
      passSecrets: policy.env.passSecrets,
      fromAgent: policy.env.fromAgent,
      set: policy.env.set,
    },
    panes,
    limits: { ...policy.limits, burst: policy.limits.burst ?? policy.limits.callsPerMinute },
    audit: {
      path: auditPath,
      maxBytes: policy.audit.maxBytes,
      keep: policy.audit.keep,
      sync: policy.audit.sync,
      redactInput: policy.audit.redactInput,
      ...(policy.audit.connectionBytesPerMinute === undefined
        ? {}
        : { connectionBytesPerMinute: policy.audit.connectionBytesPerMinute }),
    },
    sandbox,
    persist: {
      masterKey: policy.persist.masterKey,
      ...(policy.persist.scrollback === undefined ? {} : { scrollback: policy.persist.scrollback }),
    },
    anomalies: {
      lateral: policy.anomalies.lateral,
      probing: policy.anomalies.probing,
      sensitivePaths: [...new Set([...DEFAULT_SENSITIVE_PATHS, ...policy.anomalies.sensitivePaths])],
      exfiltration: {
        // Panes that cannot reach any network cannot send a file anywhere: no alert to raise.
        enabled: !(policy.sandbox.mode === "required" && !policy.sandbox.network),
        windowMs: policy.anomalies.exfiltration.windowMs,
        readPrograms: DEFAULT_READ_PROGRAMS,
        networkPrograms: [
          ...new Set([...DEFAULT_NETWORK_PROGRAMS, ...policy.anomalies.exfiltration.networkPrograms]),
        ],
      },
    },
    warnings,
  });
}
