import { afterEach, describe, expect, it } from "vitest";
import type { PaneHost } from "../../src/panes/pane-host.js";
import { agentPane } from "../support/agent-pane.js";
import { BUILT, screenThreadHost } from "../support/embedded-hosts.js";

// Attack review: `wait_for {regex: "^N$"}` on `seq 1 N` answered "exited" now and then (8 of 200) although its
// own text ended with N: the last check, taken as the program's exit was told, found another check running and
// answered without looking.
describe.skipIf(!BUILT)("a wait whose text the program printed last (needs `npm run build`)", () => {
  let host: PaneHost | undefined;
  afterEach(async () => {
    await host?.shutdown();
    host = undefined;
  });

  it("is never answered exited: 120 programs that print it and exit at once", async () => {
    host = await screenThreadHost({ maxPanes: 4, maxExitedPanes: 4 });
    const missed: string[] = [];
    for (let run = 0; run < 120; run++) {
      const last = 20_000 + run;
      const { pane } = await host.spawn(agentPane(["/usr/bin/seq", "1", String(last)]));
      const waited = await host.wait(pane.id, {
        query: { regex: `^${last}$` },
        timeoutMs: 20_000,
        screenBy: Date.now() + 21_000,
      });
      if (waited.outcome !== "matched")
        missed.push(`run ${run}: ${waited.outcome}, screen ends ${waited.screen?.slice(-12)}`);
      await host.kill(pane.id);
    }
    expect(missed).toEqual([]);
  }, 120_000);
});
