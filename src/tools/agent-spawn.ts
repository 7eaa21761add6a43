import { basename } from "node:path";
import { z } from "zod";
import { CcmuxError } from "../errors.js";
import { sanitizeText } from "../panes/sanitize.js";
import type { InputMode } from "../shared/pane-words.js";
import { decideSandbox } from "../validation/sandbox-mode.js";
import { checkSpawn } from "../validation/spawn-check.js";
import {
  colsField,
  DEFAULT_COLS,
  DEFAULT_ROWS,
  MAX_TEXT_FIELD,
  paneNameField,
  rowsField,
} from "./pane-fields.js";
import type { CallContext } from "./tool-registry.js";

/** The input fields that say what to start and how: spawn's whole input, and run's for a new pane. */
export const spawnFields = {
  command: z
    .string()
    .max(MAX_TEXT_FIELD)
    .describe(
      "One command line: words split like a shell would (quotes group words; quoted metacharacters are data), never run by a shell. Operators, substitutions, $VARIABLES and unquoted globs are refused.",
    ),
  cwd: z
    .string()
    .optional()
    .describe("Working directory inside the workspace; default the first workspace root."),
  env: z
    .record(z.string(), z.string())
    .optional()
    .describe("Extra environment variables; only the names the policy lists in env.fromAgent."),
  name: paneNameField.optional().describe("A label for the pane; default the program's name."),
  cols: colsField.optional().describe(`Terminal width; default ${DEFAULT_COLS}.`),
  rows: rowsField.optional().describe(`Terminal height; default ${DEFAULT_ROWS}.`),
};

const spawnArgs = z.strictObject(spawnFields);
export type SpawnArgs = z.output<typeof spawnArgs>;

/** What starting an agent pane answers (spawn's whole result). */
export interface AgentSpawned {
  pane: string;
  name: string;
  pid: number;
  argv: string[];
  cwd: string;
  input: InputMode;
  rule: string;
  sandboxed: boolean;
  sessionDir?: string;
  warnings?: string[];
}

/**
 * Checks `args` against the policy exactly as spawn does (spawn-check.ts: the command line, its program and
 * argument shapes, cwd, env; the pane limits; the sandbox mode), writes the call's `allow` record, and starts
 * the pane for this connection's session. Throws CcmuxError with spawn's codes (COMMAND_NOT_ALLOWED,
 * COMMAND_SYNTAX_FORBIDDEN, PATH_OUTSIDE_WORKSPACE, LIMIT_EXCEEDED, SPAWN_FAILED, …); nothing is started when it
 * throws before the allow record.
 */
export async function spawnAgentPane(args: SpawnArgs, ctx: CallContext): Promise<AgentSpawned> {
  const { policy, host, serverEnv, session } = ctx.deps;
  // Security: a person pane's name stays the person's: an attack review killed a write-access person pane,
  // spawned its own under the name, and a person attaching by name typed a password into the agent's fake prompt.
  if (args.name !== undefined && policy.panes.some((pane) => pane.name === args.name)) {
    throw new CcmuxError(
      "INVALID_ARGUMENT",
      `The name ${JSON.stringify(args.name)} belongs to one of the person's panes (policy panes[]): choose another.`,
    );
  }
  const plan = checkSpawn(policy, { command: args.command, cwd: args.cwd, env: args.env }, serverEnv);
  host.assertCanSpawn();
  const rule = `commands[${plan.rule.index}] ${JSON.stringify(plan.rule.pattern === "" ? plan.rule.command : `${plan.rule.command} ${plan.rule.pattern}`)}`;
  const sandbox = decideSandbox(policy.sandbox.mode, () => host.sandboxStatus());
  ctx.allow({
    rule,
    argv: plan.argv,
    cwd: plan.cwd,
    sandboxed: sandbox.sandboxed,
    ...(sandbox.warning ? { warning: sandbox.warning } : {}),
  });
  if (sandbox.warning) ctx.deps.warn(sandbox.warning);
  const { pane, warnings: sandboxWarnings } = await host.spawn({
    name: args.name ?? basename(plan.argv[0] ?? "pane"),
    argv: plan.argv,
    cwd: plan.cwd,
    env: plan.env,
    cols: args.cols ?? DEFAULT_COLS,
    rows: args.rows ?? DEFAULT_ROWS,
    scrollback: policy.limits.scrollbackLines,
    owner: { kind: "agent", session },
    input: plan.input,
    ...(plan.shell ? { shell: plan.shell } : {}),
    sandboxed: sandbox.sandboxed,
    ...(plan.sessionDir ? { sessionDir: { envName: plan.sessionDir.env, keep: plan.sessionDir.keep } } : {}),
  });
  const warnings = sandboxWarnings.map(sanitizeText);
  ctx.note({
    pane: pane.id,
    pid: pane.pid,
    ...(pane.sessionDir !== undefined ? { sessionDir: pane.sessionDir } : {}),
    ...(warnings.length > 0 ? { sandboxWarnings: warnings } : {}),
  });
  return {
    pane: pane.id,
    name: pane.name,
    pid: pane.pid,
    // Security: a canonical path can carry a repo's symlink target with bidi or invisible characters.
    argv: plan.argv.map(sanitizeText),
    cwd: sanitizeText(plan.cwd),
    input: plan.input,
    rule,
    sandboxed: pane.sandboxed,
    ...(pane.sessionDir !== undefined ? { sessionDir: pane.sessionDir } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
