import type { CompiledPolicy } from "../validation/policy-compile.js";
import { formatProblems, readPolicy } from "./policy-file.js";
import { findPolicy } from "./policy-location.js";
import type { NotServing } from "./serve-refusals-only.js";

/**
 * The policy `serve` (and the daemon and its bridge) would serve: found (findPolicy) and compiled, its warnings
 * printed on stderr; or what keeps it from serving (POLICY_INVALID, with every problem).
 */
export function loadServedPolicy(
  config: string | undefined,
): { file: string; policy: CompiledPolicy; sha256: string; bytes: Buffer } | NotServing {
  const found = findPolicy(config);
  if (found.file === undefined) {
    return {
      code: "POLICY_INVALID",
      what: "no policy",
      file: undefined,
      problems: [found.problem],
      warnings: [],
      audit: undefined,
    };
  }
  const file = found.file;
  if (found.note !== undefined) console.error(`ccmux: ${found.note}.`);
  const load = readPolicy(file);
  if (!load.ok) {
    return {
      code: "POLICY_INVALID",
      what: "the policy does not validate",
      file,
      problems: formatProblems(file, load.problems),
      warnings: load.warnings,
      audit: load.audit,
    };
  }
  return { file, policy: load.policy, sha256: load.sha256, bytes: load.bytes };
}
