import { z } from "zod";
import type { HistoryMark } from "../panes/pane-screen.js";
import { KEY_GRAMMAR } from "../validation/key-table.js";
import { planKeystrokes } from "../validation/send-keys-check.js";
import { paneToDrive, refuseWhilePersonTyping } from "./pane-access.js";
import { MAX_TEXT_FIELD, paneIdField } from "./pane-fields.js";
import { type PaneWaits, type PreparedWait, sendKeysWaitField, waitResult } from "./pane-wait.js";
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
  wait: sendKeysWaitField,
});

const output = z.object({
  pane: z.string(),
  bytes: z.number().int().describe("How many bytes were written to the terminal."),
  wait: waitResult.optional().describe("With `wait`: the wait's result, as wait_for returns it."),
});

/** send_keys; `waits` is shared with wait_for (one maxWaiters budget). */
export function registerSendKeysTool(registry: ToolRegistry, waits: PaneWaits): void {
  registry.add({
    name: "send_keys",
    title: "Type into a pane",
    description:
      'Types text and/or named keys into a pane\'s terminal, as a person at the keyboard would. Whether a pane accepts text, only named keys, or nothing is set by the policy for its program (see the spawn result\'s `input`). With `wait` (wait_for\'s fields), it then waits for output printed after the keys, e.g. `{text: "x", submit: true, wait: {text: ">>> "}}` types a line into a REPL and returns its answer in one call. While a person holds write on the pane (they took it over with `ccmux attach --write`), nothing is typed and the answer is PANE_BUSY: wait and try again.',
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    async handler(args, ctx) {
      // The wait is checked like wait_for's, before anything is typed: a refused wait sends nothing.
      if (args.wait) waits.check(args.wait);
      const { host } = ctx.deps;
      const pane = await paneToDrive(ctx.deps, args.pane, "send_keys");
      const { applicationCursor } = await host.keyboard(pane.id);
      // A validated shell: its running program's own mode while that holds the terminal, else the prompt's keys.
      const mode = pane.input === "validated" ? (pane.shell?.keys ?? "prompt") : pane.input;
      const plan = planKeystrokes(
        { text: args.text, keys: args.keys, submit: args.submit },
        {
          input: mode,
          maxInputBytes: ctx.deps.policy.limits.maxInputBytes,
          applicationCursor,
        },
      );
      const prepared: PreparedWait | undefined = args.wait ? await waits.prepare(args.wait, ctx) : undefined;
      let sinceMark: HistoryMark | undefined;
      try {
        // "Now" is before the keys are written, and the mark is taken, not only asked for, before they are: the
        // screen thread reads the pty itself (ThreadPtyReader), and it could read their echo before a request
        // still on its way to it (a wait then missed output printed right after the keys). A mark is fixed when
        // asked for while the thread reads (since-boundaries.ts); this await covers a mark that could not be
        // (the reading just handed over, more than 8 marks in flight on the pane).
        sinceMark = prepared ? await host.markSince(pane.id).catch(() => undefined) : undefined;
        // Security: a person may have taken write while this call awaited the screen; looked at again here, with
        // nothing awaited between this look and the write.
        refuseWhilePersonTyping(await host.info(pane.id));
        ctx.allow({ pane: pane.id, pid: pane.pid, bytes: plan.byteLength });
      } catch (error) {
        if (prepared) waits.discard(prepared);
        if (sinceMark) host.releaseSince(pane.id, sinceMark);
        throw error;
      }
      await host.write(pane.id, plan.strokes, {
        shellCommand: pane.input === "validated" && mode !== "prompt",
      });
      if (!prepared) return { pane: pane.id, bytes: plan.byteLength };
      return {
        pane: pane.id,
        bytes: plan.byteLength,
        wait: await waits.run(prepared, pane.id, ctx, Promise.resolve(sinceMark)),
      };
    },
  });
}
