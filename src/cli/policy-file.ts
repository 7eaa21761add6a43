import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CcmuxError } from "../errors.js";
import { type CompiledPolicy, compilePolicy } from "../validation/policy-compile.js";
import { configDir, defaultAuditPath } from "./paths.js";

export const POLICY_FILE_NAME = "ccmux.json";

/**
 * The policy file to use: --config, else ./ccmux.json (only when `workingDirectory`), else the user's config
 * dir; undefined when none exists. Security: `serve` never picks up ./ccmux.json unasked — its working
 * directory is usually a workspace, where a pane could write a policy for the next start (with the sandbox
 * off); the user config dir is hidden from panes.
 */
export function locatePolicy(
  explicit: string | undefined,
  options: { workingDirectory: boolean; cwd?: string },
): string | undefined {
  const cwd = options.cwd ?? process.cwd();
  if (explicit !== undefined) return resolve(cwd, explicit);
  const candidates = [
    ...(options.workingDirectory ? [join(cwd, POLICY_FILE_NAME)] : []),
    join(configDir(), POLICY_FILE_NAME),
  ];
  return candidates.find((candidate) => existsSync(candidate));
}

/** Why `serve` found no policy, naming a ./ccmux.json it would not take unasked. */
export function noPolicyMessage(cwd = process.cwd()): string {
  const local = join(cwd, POLICY_FILE_NAME);
  return existsSync(local)
    ? `ccmux: not using ./${POLICY_FILE_NAME} unasked (a pane could have written it); start with --config ${POLICY_FILE_NAME} to use it.`
    : `ccmux: no policy found (looked in ${join(configDir(), POLICY_FILE_NAME)}). Create one with \`ccmux init\` and pass it with --config FILE.`;
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
