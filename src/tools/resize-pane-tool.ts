import { z } from "zod";
import { paneToDrive } from "./pane-access.js";
import { colsField, PANE_COLS, PANE_ROWS, paneIdField, rowsField } from "./pane-fields.js";
import type { ToolRegistry } from "./tool-registry.js";

const input = z.strictObject({
  pane: paneIdField,
  cols: colsField.describe(`The new terminal width in columns, ${PANE_COLS.min} to ${PANE_COLS.max}.`),
  rows: rowsField.describe(`The new terminal height in rows, ${PANE_ROWS.min} to ${PANE_ROWS.max}.`),
});

const output = z.object({
  pane: z.string(),
  cols: z.number().int().describe("The terminal's width now, in columns."),
  rows: z.number().int().describe("The terminal's height now, in rows."),
});

export function registerResizePaneTool(registry: ToolRegistry): void {
  registry.add({
    name: "resize_pane",
    title: "Resize a pane",
    description:
      "Changes a pane's terminal size, as resizing a terminal window does: the program is told (SIGWINCH) and full-screen programs redraw; read_pane then shows the screen at the new size. Your own panes, and the person's panes with write access. A pane whose process has exited answers PANE_EXITED; while a person holds write on the pane (`ccmux attach --write`), PANE_BUSY.",
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler(args, ctx) {
      const pane = await paneToDrive(ctx.deps, args.pane, "resize_pane");
      ctx.allow({ pane: pane.id, pid: pane.pid });
      await ctx.deps.host.resize(pane.id, args.cols, args.rows);
      return { pane: pane.id, cols: args.cols, rows: args.rows };
    },
  });
}
