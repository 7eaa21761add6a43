import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { CallContext } from "../../src/tools/tool-registry.js";

// Regex matcher threads run compiled JavaScript, so this suite drives the build (npm test builds first).
const DIST = resolve(import.meta.dirname, "../../dist/tools");
const built = existsSync(resolve(DIST, "../panes/regex-thread.js"));

/** A call context holding only what PaneWaits.prepare reads: the policy's limits and the call's signal. */
function contextOf(signal: AbortSignal, maxWaiters: number): CallContext {
  return {
    deps: { policy: { limits: { maxWaiters, maxWaitMs: 60_000 } } },
    signal,
    allow: () => {},
    note: () => {},
    progress: () => {},
  } as unknown as CallContext;
}

// Attack review: an agent that cancels regex waits and asks again filled maxWaiters with calls it had cancelled,
// each holding its slot until its matcher thread had started, and its other calls were refused LIMIT_EXCEEDED.
describe.skipIf(!built)(
  "a regex wait cancelled while its matcher thread starts (needs `npm run build`)",
  () => {
    it("is refused CANCELLED at once and frees its slot for the next wait", async () => {
      const { PaneWaits } = (await import(
        resolve(DIST, "pane-wait.js")
      )) as typeof import("../../src/tools/pane-wait.js");
      const waits = new PaneWaits();
      const first = new AbortController();
      const preparing = waits.prepare({ regex: "never+" }, contextOf(first.signal, 1));
      first.abort();
      await expect(preparing).rejects.toMatchObject({ code: "CANCELLED" });
      // The only slot is free again: the next wait is prepared, not refused LIMIT_EXCEEDED.
      const next = await waits.prepare({ text: "y" }, contextOf(new AbortController().signal, 1));
      expect(next.query).toEqual({ text: "y" });
      waits.discard(next);
    });

    it("a wait not cancelled is prepared with its matcher ready (control)", async () => {
      const { PaneWaits } = (await import(
        resolve(DIST, "pane-wait.js")
      )) as typeof import("../../src/tools/pane-wait.js");
      const waits = new PaneWaits();
      const prepared = await waits.prepare({ regex: "a+b" }, contextOf(new AbortController().signal, 1));
      expect(await prepared.matcher?.match("xaab")).toBe(true);
      waits.discard(prepared);
    });
  },
);
