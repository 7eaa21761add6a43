import { z } from "zod";
import { paneAgentText, paneFor } from "./pane-access.js";
import { cursorShape, paneIdField } from "./pane-fields.js";
import type { ToolRegistry } from "./tool-registry.js";

const input = z.strictObject({
  pane: paneIdField,
  mode: z
    .enum(["screen", "scrollback", "new"])
    .optional()
    .describe(
      "`screen` (default): the visible screen. `scrollback`: history and screen. `new`: lines since your last `new` read of this pane, from the line the cursor was on then.",
    ),
  lines: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe("With `scrollback`: only the last N lines."),
});

const output = z.object({
  pane: z.string(),
  mode: z.enum(["screen", "scrollback", "new"]),
  text: z
    .string()
    .describe("What a person would see, sanitized: no escape sequences, control or invisible characters."),
  truncated: z.boolean().describe("True when older lines were cut to keep the result small."),
  lost: z
    .boolean()
    .describe("`new` mode: true when more output than the scrollback holds arrived since the last read."),
  cursor: cursorShape,
  alive: z.boolean(),
  exitCode: z
    .number()
    .int()
    .nullable()
    .describe("Exit status once the process has exited; null while running."),
  signal: z.number().int().nullable().describe("The signal that ended the process, if one did."),
});

export function registerReadPaneTool(registry: ToolRegistry): void {
  registry.add({
    name: "read_pane",
    title: "Read a pane's screen",
    description:
      "Returns a pane's rendered text (what a person would see), its cursor and whether its process is alive. Output stays readable after the process exits, until the pane is killed.",
    input,
    output,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async handler(args, ctx) {
      const pane = paneFor(ctx.deps, args.pane, "read_pane");
      const mode = args.mode ?? "screen";
      const snapshot = await pane.snapshot();
      let raw = snapshot.text;
      let lost = false;
      if (mode === "scrollback") raw = await pane.scrollbackText(args.lines);
      else if (mode === "new") ({ text: raw, lost } = await pane.newText(ctx.deps.connection.id));
      ctx.note({ pane: pane.id });
      const { text, truncated } = paneAgentText(pane, raw);
      return {
        pane: pane.id,
        mode,
        text,
        truncated,
        lost,
        cursor: snapshot.cursor,
        alive: pane.alive,
        exitCode: pane.exit?.exitCode ?? null,
        signal: pane.exit?.signal ?? null,
      };
    },
  });
}
