import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

// Attack review F2: a pane printing `x ESC c` over and over (a character, then a full reset: ~27 µs a byte to
// parse) kept 512 KB queued for the screen thread, and a read of that pane answers after everything written
// before it: every read_pane of it waited 10-22 s. The pane's backlog is now bounded by what it costs to parse
// (parse-cost.ts: ~200 ms of it), so a read waits a fraction of a second, and a few seconds on a loaded machine.
const MAX_OWN_READ_MS = 5000;

describe("a flood of terminal resets stalls reads of its own pane", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      limits: { callsPerMinute: 100_000 },
    });
    const policy = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    policy.audit.connectionBytesPerMinute = 1_000_000_000;
    writeFileSync(ws.policyPath, JSON.stringify(policy));
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it(`read_pane and wait_for on the pane printing x ESC c answer within ${MAX_OWN_READ_MS} ms while it floods`, async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    await mcp.ok("send_keys", { pane, text: "echo ready-$((2*3))", submit: true });
    await mcp.ok("wait_for", { pane, text: "ready-6", timeout_ms: 10_000 });
    // Endless: the flood goes on through every read below; the pane is killed after.
    await mcp.ok("send_keys", { pane, text: "yes $'x\\ec' | tr -d '\\n'", submit: true });
    // The flood has begun once the screen is reset: the echoed command line is gone.
    await mcp.ok("wait_for", { pane, regex: "^x?$", timeout_ms: 30_000 });
    const reads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const read = await mcp.ok<{ text: string }>("read_pane", { pane });
      reads.push(performance.now() - started);
      expect(read.text).not.toContain("ready-6");
    }
    // A wait that cannot match times out when asked, not after the backlog.
    const started = performance.now();
    const waited = await mcp.ok<{ reason: string }>("wait_for", {
      pane,
      text: "never-printed",
      timeout_ms: 500,
    });
    const waitMs = performance.now() - started;
    expect(waited.reason).toBe("timeout");
    console.log(
      `reads of the flooding pane: ${reads.map(Math.round).join(", ")} ms; wait_for 500 ms took ${Math.round(waitMs)} ms`,
    );
    expect(Math.max(...reads)).toBeLessThanOrEqual(MAX_OWN_READ_MS);
    expect(waitMs).toBeLessThanOrEqual(500 + MAX_OWN_READ_MS);
    await mcp.ok("kill_pane", { pane, signal: "SIGKILL" });
  }, 180_000);
});
