import { afterEach, describe, expect, it } from "vitest";
import type { PaneHost } from "../../src/panes/pane-host.js";
import { agentPane } from "../support/agent-pane.js";
import { embeddedHosts } from "../support/embedded-hosts.js";

// An attack review cancelled regex waits on a flooding pane and found their maxWaiters slots still taken a while
// after: each cancelled wait read the pane's screen for an answer nobody would get.
describe.each(embeddedHosts({ maxPanes: 4, maxExitedPanes: 4 }))(
  "a cancelled wait (%s)",
  (_label, makeHost) => {
    let host: PaneHost | undefined;
    afterEach(async () => {
      await host?.shutdown();
      host = undefined;
    });

    it("answers aborted without reading the screen, and a timed-out one still reads it", async () => {
      ({ host } = await makeHost());
      const { pane } = await host.spawn(agentPane(["/bin/sh", "-c", "echo ready; exec cat"]));
      await host.wait(pane.id, {
        query: { text: "ready" },
        timeoutMs: 10_000,
        screenBy: Date.now() + 11_000,
      });
      const abort = new AbortController();
      const waiting = host.wait(pane.id, {
        query: { text: "never printed" },
        timeoutMs: 10_000,
        screenBy: Date.now() + 11_000,
        signal: abort.signal,
      });
      abort.abort();
      const aborted = await waiting;
      expect(aborted.outcome).toBe("aborted");
      expect(aborted.screen).toBeUndefined();
      // Control: a wait that ends by its timeout answers with the screen.
      const timedOut = await host.wait(pane.id, {
        query: { text: "never printed" },
        timeoutMs: 50,
        screenBy: Date.now() + 5_000,
      });
      expect(timedOut.outcome).toBe("timeout");
      expect(timedOut.screen).toContain("ready");
    });
  },
);
