import { basename } from "node:path";
import { z } from "zod";
import { CcmuxError } from "../errors.js";
import { sanitizeText } from "../panes/sanitize.js";
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
import type { ToolRegistry } from "./tool-registry.js";

const input = z.strictObject({
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
});

const output = z.object({
  pane: z.string().describe("The new pane's id."),
  name: z.string(),
  pid: z.number().int(),
  argv: z.array(z.string()).describe("The argv executed: absolute executable first."),
  cwd: z.string(),
  input: z.enum(["none", "keys", "raw"]).describe("What send_keys may deliver to this pane."),
  rule: z.string().describe("The policy rule that allowed the command."),
  sandboxed: z
    .boolean()
    .describe(
      "True when the pane runs in the sandbox (private /proc and /dev, hidden secrets, no network unless the policy allows it).",
    ),
  sessionDir: z
    .string()
    .optional()
    .describe(
      "The pane's private directory, when its policy rule gives it one (removed when the pane is killed).",
    ),
  warnings: z
    .array(z.string())
    .optional()
    .describe(
      "What the sandbox could not protect for this pane (a symlink on a protected path, more repositories than the mount budget); the pane runs anyway.",
    ),
});

export function registerSpawnTool(registry: ToolRegistry, policyDescription: string): void {
  registry.add({
    name: "spawn",
    title: "Start a program in a new pane",
    description: `Starts one allowed program in a new pseudo-terminal pane and returns its id. Read its screen with read_pane, type with send_keys, wait with wait_for.\n\n${policyDescription}`,
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async handler(args, ctx) {
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
        sandboxed: sandbox.sandboxed,
        ...(plan.sessionDir
          ? { sessionDir: { envName: plan.sessionDir.env, keep: plan.sessionDir.keep } }
          : {}),
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
    },
  });
}
