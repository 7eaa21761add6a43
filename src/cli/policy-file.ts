import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CcmuxError } from "../errors.js";
import { type CompiledPolicy, compilePolicy } from "../validation/policy-compile.js";
import { configDir, defaultAuditPath } from "./paths.js";

export const POLICY_FILE_NAME = "ccmux.json";

/** The policy file to use: --config, else ./ccmux.json, else the user's config dir; undefined when none exists. */
export function locatePolicy(explicit: string | undefined, cwd = process.cwd()): string | undefined {
  if (explicit !== undefined) return resolve(cwd, explicit);
  for (const candidate of [join(cwd, POLICY_FILE_NAME), join(configDir(), POLICY_FILE_NAME)]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Reads, parses and compiles a policy file; throws POLICY_INVALID listing every problem. */
export function loadPolicy(path: string, env: NodeJS.ProcessEnv = process.env): CompiledPolicy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new CcmuxError("POLICY_INVALID", `Cannot read the policy file: ${(cause as Error).message}`, {
      cause,
      data: { errors: [{ path: "", message: (cause as Error).message }] },
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new CcmuxError("POLICY_INVALID", "The policy file is not valid JSON.", {
      cause,
      data: { errors: [{ path: "", message: (cause as Error).message }] },
    });
  }
  return compilePolicy(raw, {
    baseDir: dirname(path),
    serverPath: env.PATH,
    defaultAuditPath: defaultAuditPath(env),
  });
}

/** Human lines for a POLICY_INVALID error: one per problem, with the file and JSON path. */
export function formatPolicyErrors(file: string, error: CcmuxError): string[] {
  const errors = (error.data.errors as Array<{ path: string; message: string }> | undefined) ?? [];
  if (errors.length === 0) return [`${file}: ${error.message}`];
  return errors.map((item) => `${file}${item.path ? ` at ${item.path}` : ""}: ${item.message}`);
}
