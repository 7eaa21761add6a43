import { z } from "zod";
import { INPUT_MODES } from "../shared/pane-words.js";
import { spawnAgentPane, spawnFields } from "./agent-spawn.js";
import type { ToolRegistry } from "./tool-registry.js";

const input = z.strictObject(spawnFields);

const output = z.object({
  pane: z.string().describe("The new pane's id."),
  name: z.string(),
  pid: z.number().int(),
  argv: z.array(z.string()).describe("The argv executed: absolute executable first."),
  cwd: z.string(),
  input: z
    .enum(INPUT_MODES)
    .describe(
      "What send_keys may deliver to this pane (validated: a shell whose commands come through run {pane, command}).",
    ),
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
    handler: spawnAgentPane,
  });
}
