import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { AuditLogOptions } from "../audit/audit-log.js";
import { policyHash } from "../daemon/policy-hash.js";
import { CcmuxError, isCcmuxError } from "../errors.js";
import { positionOfPath, type SourcePosition, scanJson } from "../validation/json-source.js";
import { type CompiledPolicy, compilePolicy } from "../validation/policy-compile.js";
import { policySchema } from "../validation/policy-schema.js";
import { defaultAuditPath } from "./paths.js";
import { policyBaseDir } from "./policy-location.js";

/** One thing wrong with a policy file: where (JSON path, and line and column when the text has them) and what. */
export interface PolicyProblem extends Partial<SourcePosition> {
  /** JSON path (`commands[0].args[1]`); "" for the file as a whole. */
  path: string;
  message: string;
}

/** Where refusals of a server whose policy is broken can be audited: what the policy's `audit` section says. */
export interface AuditTarget {
  path: string;
  options: AuditLogOptions & { connectionBytesPerMinute?: number };
}

/** A policy file read and compiled, or every problem found in it (with the audit log, if it can be told). */
export type PolicyLoad =
  | {
      ok: true;
      file: string;
      policy: CompiledPolicy;
      /** SHA-256 (hex) of the bytes compiled: what a daemon records, and a bridge compares, to tell a changed file. */
      sha256: string;
      /** The bytes compiled (a daemon's info file carries them: DaemonInfo.policyBytes). */
      bytes: Buffer;
    }
  | {
      ok: false;
      file: string;
      problems: PolicyProblem[];
      warnings: string[];
      /** Undefined when the file is too broken to say where its audit log is (unreadable, not JSON, bad `audit`). */
      audit: AuditTarget | undefined;
    };

/**
 * Reads, parses and compiles a policy file, collecting every problem: JSON syntax errors with line and column,
 * then schema and meaning errors together, each at the line and column of the value it names.
 */
export function readPolicy(file: string, env: NodeJS.ProcessEnv = process.env): PolicyLoad {
  let text: string;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
    // A byte order mark some editors write is whitespace here (a space keeps columns where they were).
    text = bytes.toString("utf8").replace(/^\uFEFF/, " ");
  } catch (cause) {
    const problem = { path: "", message: `cannot read the policy file: ${(cause as Error).message}` };
    return { ok: false, file, problems: [problem], warnings: [], audit: undefined };
  }
  const scan = scanJson(text);
  if (scan.error) {
    const { line, column, message } = scan.error;
    return {
      ok: false,
      file,
      problems: [{ path: "", message, line, column }],
      warnings: [],
      audit: undefined,
    };
  }
  const raw: unknown = JSON.parse(text);
  try {
    const policy = compilePolicy(raw, {
      baseDir: policyBaseDir(file),
      serverPath: env.PATH,
      defaultAuditPath: defaultAuditPath(env),
    });
    return { ok: true, file, policy, sha256: policyHash(bytes), bytes };
  } catch (error) {
    if (!isCcmuxError(error) || error.code !== "POLICY_INVALID") throw error;
    const listed = (error.data.errors as PolicyProblem[] | undefined) ?? [
      { path: "", message: error.message },
    ];
    const problems = listed.map((problem) => ({
      ...problem,
      ...positionOfPath(text, scan.starts, problem.path),
    }));
    const warnings = (error.data.warnings as string[] | undefined) ?? [];
    return { ok: false, file, problems, warnings, audit: auditTarget(raw, file, env) };
  }
}

/** The audit log a broken policy names, when its `audit` section itself is valid. */
function auditTarget(raw: unknown, file: string, env: NodeJS.ProcessEnv): AuditTarget | undefined {
  const section = raw !== null && typeof raw === "object" ? (raw as { audit?: unknown }).audit : undefined;
  const parsed = policySchema.shape.audit.safeParse(section);
  if (!parsed.success) return undefined;
  const { path, ...options } = parsed.data;
  return { path: path === undefined ? defaultAuditPath(env) : resolve(policyBaseDir(file), path), options };
}

/** Reads and compiles a policy file; throws POLICY_INVALID with `data.errors` listing every problem. */
export function loadPolicy(file: string, env: NodeJS.ProcessEnv = process.env): CompiledPolicy {
  const load = readPolicy(file, env);
  if (load.ok) return load.policy;
  throw new CcmuxError("POLICY_INVALID", `the policy has ${load.problems.length} error(s)`, {
    data: { errors: load.problems, warnings: load.warnings },
  });
}

/** One line per problem, as compilers write them: `FILE:LINE:COLUMN: PATH: MESSAGE`. */
export function formatProblems(file: string, problems: readonly PolicyProblem[]): string[] {
  return problems.map((problem) => {
    const where = problem.line === undefined ? file : `${file}:${problem.line}:${problem.column}`;
    return `${where}: ${problem.path === "" ? "" : `${problem.path}: `}${problem.message}`;
  });
}
