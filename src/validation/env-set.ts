import { MAX_ENV_VALUE_BYTES } from "./env-filter.js";
import { PANE_ENV_DEFAULTS, RESERVED_PANE_ENV } from "./pane-env-defaults.js";

/** Most variables one policy's env.set may fix. */
export const MAX_ENV_SET_ENTRIES = 256;
/** Longest variable name in env.set, in characters. */
export const MAX_ENV_NAME_LENGTH = 128;
/** Largest env.set altogether (names, `=`, values, NULs), in UTF-8 bytes: well inside execve's ARG_MAX. */
export const MAX_ENV_SET_BYTES = 128 * 1024;

export interface EnvSetProblem {
  /** Where in the policy file, e.g. `env.set.GIT_PAGER`. */
  path: string;
  /** Names the variable, never its value (values may be secrets). */
  message: string;
}

export interface EnvSetContext {
  /** The raw `env.set` as read from JSON, before the schema (which drops a `__proto__` key silently). */
  raw: unknown;
  fromAgent: readonly string[];
  /** Variables that name a rule's session directory, with the rule's path (`commands[2]`). */
  sessionDirs: ReadonlyArray<{ env: string; where: string }>;
  pass: readonly string[];
}

/**
 * Checks a policy's env.set (fixed variables, values chosen by the person): sizes, NUL, reserved names
 * (TERM, LESSSECURE), no name the agent may also set (env.fromAgent) or that names a session directory.
 * Returns every problem (load refuses the policy) and warnings (env.pass naming a default that only env.set
 * can change). Messages name variables, never values.
 */
export function checkEnvSet(
  set: Readonly<Record<string, string>>,
  ctx: EnvSetContext,
): { problems: EnvSetProblem[]; warnings: string[] } {
  const problems: EnvSetProblem[] = [];
  const warnings: string[] = [];
  if (isRecord(ctx.raw) && Object.hasOwn(ctx.raw, "__proto__")) {
    problems.push({ path: "env.set.__proto__", message: "__proto__ cannot be set as a variable here" });
  }
  const names = Object.keys(set);
  if (names.length > MAX_ENV_SET_ENTRIES) {
    problems.push({ path: "env.set", message: `more than ${MAX_ENV_SET_ENTRIES} variables` });
  }
  let total = 0;
  for (const name of names) {
    const value = set[name] as string;
    const where = `env.set.${name}`;
    total += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value, "utf8") + 2;
    if (name.length > MAX_ENV_NAME_LENGTH) {
      problems.push({ path: where, message: `the name is longer than ${MAX_ENV_NAME_LENGTH} characters` });
    }
    // Security: NUL ends the string in execve: the pane would get a different value than the policy shows.
    if (value.includes("\0")) problems.push({ path: where, message: `the value of ${name} contains NUL` });
    if (Buffer.byteLength(value, "utf8") > MAX_ENV_VALUE_BYTES) {
      problems.push({
        path: where,
        message: `the value of ${name} is longer than ${MAX_ENV_VALUE_BYTES} bytes`,
      });
    }
    if (RESERVED_PANE_ENV.includes(name)) {
      problems.push({ path: where, message: `${name} is decided by ccmux for every pane` });
    }
    // Security: a fixed variable the agent could also set would not be fixed.
    if (ctx.fromAgent.includes(name)) {
      problems.push({
        path: where,
        message: `${name} is also in env.fromAgent; a variable the person fixes cannot be one the agent sets`,
      });
    }
    const dir = ctx.sessionDirs.find((entry) => entry.env === name);
    if (dir !== undefined) {
      problems.push({ path: where, message: `${name} names ${dir.where}'s session directory` });
    }
  }
  if (total > MAX_ENV_SET_BYTES) {
    problems.push({ path: "env.set", message: `larger than ${MAX_ENV_SET_BYTES} bytes altogether` });
  }
  for (const [i, name] of ctx.pass.entries()) {
    if (Object.hasOwn(PANE_ENV_DEFAULTS, name) && !Object.hasOwn(set, name)) {
      warnings.push(
        `env.pass[${i}]: ${name} is not passed: panes get ${name}=${PANE_ENV_DEFAULTS[name]} so that output is never held in a pager; set it in env.set to choose another`,
      );
    }
  }
  return { problems, warnings };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
