import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

// Issue 9 (second review): a text wait_for with timeout_ms 1000 returned after 11.8 s while the screen thread
// was busy: the wait first asked the screen for a mark, and only then started its timer.
const TIMEOUT_MS = 1000;
// The fault overran by 10.8 s; an idle machine overruns by under 100 ms, a loaded one by a few hundred.
const SLACK_MS = 1000;

describe("wait_for ignores timeout_ms while the screen thread is busy", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  let flood: string;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      limits: { callsPerMinute: 100_000 },
    });
    mcp = await serveWorkspace(ws);
    ({ pane: flood } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" }));
    await mcp.ok("send_keys", { pane: flood, text: "echo ready-$((2*3))", submit: true });
    await mcp.ok("wait_for", { pane: flood, text: "ready-6", timeout_ms: 10_000 });
    // A visible character between resets: every RIS (ESC c) costs the emulator a full reset.
    await mcp.ok("send_keys", { pane: flood, text: "yes $'x\\ec'", submit: true });
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  for (const kind of ["text", "regex"] as const) {
    it(`a ${kind} wait on the flooding pane answers timeout within timeout_ms + ${SLACK_MS} ms`, async () => {
      for (let round = 0; round < 3; round++) {
        const began = performance.now();
        const result = await mcp.ok<{ reason: string; elapsedMs: number; text: string }>("wait_for", {
          pane: flood,
          [kind]: "never-printed-here",
          timeout_ms: TIMEOUT_MS,
        });
        const wall = performance.now() - began;
        expect(result.reason).toBe("timeout");
        expect(result.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
        expect(result.elapsedMs).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS);
        expect(wall).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS);
      }
    }, 60_000);
  }
});
