import { z } from "zod";
import { CcmuxError } from "../errors.js";
import { KEY_GRAMMAR } from "../validation/key-table.js";
import { planKeystrokes } from "../validation/send-keys-check.js";
import { paneFor } from "./pane-access.js";
import { MAX_TEXT_FIELD, paneIdField } from "./pane-fields.js";
import type { ToolRegistry } from "./tool-registry.js";

const input = z.strictObject({
  pane: paneIdField,
  text: z
    .string()
    .max(MAX_TEXT_FIELD)
    .optional()
    .describe("Text typed literally, byte for byte (key names in it are just letters)."),
  keys: z
    .array(z.string())
    .max(256)
    .optional()
    .describe(`Named keys sent after the text, in order, each as its own keystroke: ${KEY_GRAMMAR}.`),
  submit: z.boolean().optional().describe("Press Enter after the text and keys."),
});

const output = z.object({
  pane: z.string(),
  bytes: z.number().int().describe("How many bytes were written to the terminal."),
});

export function registerSendKeysTool(registry: ToolRegistry): void {
  registry.add({
    name: "send_keys",
    title: "Type into a pane",
    description:
      "Types text and/or named keys into a pane's terminal, as a person at the keyboard would. Whether a pane accepts text, only named keys, or nothing is set by the policy for its program (see the spawn result's `input`).",
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    async handler(args, ctx) {
      const pane = paneFor(ctx.deps, args.pane, "send_keys");
      if (!pane.alive)
        throw new CcmuxError("PANE_EXITED", "The pane's process has exited; read it or kill it.");
      const { applicationCursor } = await pane.state();
      const plan = planKeystrokes(
        { text: args.text, keys: args.keys, submit: args.submit },
        {
          input: pane.input,
          maxInputBytes: ctx.deps.policy.limits.maxInputBytes,
          applicationCursor,
        },
      );
      ctx.allow({ pane: pane.id, pid: pane.pid, bytes: plan.byteLength });
      await pane.type(plan.strokes);
      return { pane: pane.id, bytes: plan.byteLength };
    },
  });
}
