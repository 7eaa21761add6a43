import { isCcmuxError } from "../errors.js";
import { checkSpawn } from "../validation/spawn-check.js";
import { formatProblems, readPolicy } from "./policy-file.js";
import { findPolicy } from "./policy-location.js";

/**
 * `ccmux policy check "<command line>"`: the same decision spawn would make, without running anything.
 * Exit 0 when allowed, 1 when denied, 2 when the policy itself is missing or invalid.
 */
export function policyCheck(options: { config?: string; command: string; cwd?: string }): number {
  const found = findPolicy(options.config);
  if (found.file === undefined) {
    console.error(`ccmux: ${found.problem}`);
    return 2;
  }
  if (found.note !== undefined) console.error(`ccmux: ${found.note}.`);
  const load = readPolicy(found.file);
  if (!load.ok) {
    console.error(`ccmux: the policy does not validate (${load.problems.length} problem(s)):`);
    for (const line of formatProblems(found.file, load.problems)) console.error(`  ${line}`);
    for (const warning of load.warnings) console.error(`ccmux: warning: ${warning}`);
    return 2;
  }
  const policy = load.policy;
  // The same warnings `ccmux serve` prints at start (a wildcard on a program that runs code, a shim, …).
  for (const warning of policy.warnings) console.error(`ccmux: warning: ${warning}`);
  try {
    const plan = checkSpawn(policy, { command: options.command, cwd: options.cwd }, process.env);
    const rule = policy.commands[plan.rule.index];
    process.stdout.write(
      `allowed: ${JSON.stringify(plan.argv)}\n` +
        `  rule:  commands[${plan.rule.index}] ${rule?.command ?? ""} ${JSON.stringify(plan.rule.pattern)}\n` +
        `  cwd:   ${plan.cwd}\n` +
        `  input: ${plan.input}\n`,
    );
    const where = `commands[${plan.rule.index}]:`;
    for (const warning of policy.warnings.filter((w) => w.startsWith(where))) {
      process.stdout.write(`  warning: ${warning.slice(where.length).trim()}\n`);
    }
    return 0;
  } catch (error) {
    if (!isCcmuxError(error)) throw error;
    process.stdout.write(`denied: ${error.code}: ${error.message}\n`);
    if (Object.keys(error.data).length > 0) process.stdout.write(`  ${JSON.stringify(error.data)}\n`);
    return 1;
  }
}
