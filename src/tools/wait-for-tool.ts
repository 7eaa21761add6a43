import { z } from "zod";
import { paneFor } from "./pane-access.js";
import { paneIdField } from "./pane-fields.js";
import { type PaneWaits, type PreparedWait, waitFields, waitResultShape } from "./pane-wait.js";
import type { ToolRegistry } from "./tool-registry.js";

const input = z.strictObject({ pane: paneIdField, ...waitFields });

const output = z.object({ pane: z.string(), ...waitResultShape });

/** wait_for; `waits` is shared with send_keys' `wait` (one maxWaiters budget). */
export function registerWaitForTool(registry: ToolRegistry, waits: PaneWaits): void {
  registry.add({
    name: "wait_for",
    title: "Wait for output or exit",
    description:
      'Waits until text or a regex appears in a pane, or the process exits, or the timeout passes. Other panes stay usable meanwhile. since: "now" counts only text printed after the call began (use it after typing, or use send_keys\' `wait`); otherwise the screen at the start counts too. Returns the matched lines with a little context (return: "match", the default) or the whole screen (return: "screen").',
    input,
    output,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async handler(args, ctx) {
      const { pane: id, ...wait } = args;
      waits.check(wait);
      const pane = await paneFor(ctx.deps, id, "wait_for");
      // "Now" is when the call began: the mark is asked of the screen before a regex's matcher starts (its thread
      // takes milliseconds, and output printed meanwhile was missed: attack review, 10 of 10 at once).
      const host = ctx.deps.host;
      const sinceMark = wait.since === "now" ? host.markSince(pane.id) : undefined;
      let prepared: PreparedWait;
      try {
        prepared = await waits.prepare(wait, ctx);
      } catch (error) {
        if (sinceMark) void sinceMark.then((mark) => host.releaseSince(pane.id, mark));
        throw error;
      }
      return { pane: pane.id, ...(await waits.run(prepared, pane.id, ctx, sinceMark)) };
    },
  });
}
