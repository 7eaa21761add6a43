import { z } from "zod";
import { summarizePolicy } from "../validation/policy-describe.js";
import type { ToolRegistry } from "./tool-registry.js";

const output = z.object({
  workspace: z.array(z.string()),
  commands: z.array(
    z.object({
      command: z.string(),
      args: z.array(z.string()).describe("Allowed argument shapes."),
      input: z.string().describe("What send_keys may deliver to panes of this program."),
      description: z.string().optional(),
    }),
  ),
  envFromAgent: z.array(z.string()),
  envSet: z
    .array(z.string())
    .describe("Variables the person fixed for every pane (names only); you cannot change them."),
  envDefaults: z
    .record(z.string(), z.string())
    .describe("ccmux's defaults every pane gets (PAGER=cat, GIT_PAGER=cat unless the person chose others)."),
  limits: z.object({
    maxPanes: z.number(),
    maxInputBytes: z.number(),
    callsPerMinute: z.number(),
    maxWaitMs: z.number(),
  }),
  sandbox: z
    .object({
      mode: z
        .string()
        .describe("`required`/`auto`: panes run in the sandbox (auto: when available); `off`: not."),
      network: z.boolean().describe("Whether sandboxed panes have the network."),
      readOnly: z.array(z.string()).describe("Workspace paths panes may read but not change."),
    })
    .describe("How panes are confined."),
});

export function registerPolicyTool(registry: ToolRegistry): void {
  registry.add({
    name: "policy",
    title: "Show what this server allows",
    description:
      "Returns the policy as it applies to you: workspace roots, allowed command shapes with each program's input mode, the environment variables you may set and those fixed for you, limits, and how panes are sandboxed.",
    input: z.strictObject({}),
    output,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async handler(_args, ctx) {
      return summarizePolicy(ctx.deps.policy);
    },
  });
}
