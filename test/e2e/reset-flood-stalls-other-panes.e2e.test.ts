import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

// Issue 9 (second review): 2 MB of RIS (ESC c) printed by one pane held read_pane of another pane up to 17 s,
// 600 KB of DECALN (ESC # 8) up to 2.4 s: each costs the emulator 50-85 µs, and a wait_for on the flooding
// pane parsed its whole backlog at once on the screen thread every pane shares.
// The fault made one read wait for the flooding pane's whole backlog: about as long as the flood itself. So a read
// may take up to a second, or a quarter of the flood's time where the machine is loaded enough to stretch both (a
// full CI run on two cores stretched one read to 1.1 s while the flood took longer still).
const MAX_VICTIM_READ_MS = 1000;
const MAX_VICTIM_READ_SHARE = 0.25;

describe("a flood of terminal resets stalls reads of other panes", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  let victim: string;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      limits: { callsPerMinute: 100_000 },
    });
    // Reads back to back for the whole run: this test is about the screen, not the audit budget.
    const policy = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    policy.audit.connectionBytesPerMinute = 1_000_000_000;
    writeFileSync(ws.policyPath, JSON.stringify(policy));
    mcp = await serveWorkspace(ws);
    ({ pane: victim } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" }));
    await mcp.ok("send_keys", { pane: victim, text: "echo victim-$((3*4))", submit: true });
    await mcp.ok("wait_for", { pane: victim, text: "victim-12", timeout_ms: 10_000 });
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  const floods: [string, string, number][] = [
    ["ESC c (RIS)", "\\ec", 2_000_000],
    ["ESC # 8 (DECALN)", "\\e#8", 600_000],
    ["x ESC c (a visible character between resets)", "x\\ec", 60_000],
  ];
  for (const [name, sequence, bytes] of floods) {
    it(`${bytes} bytes of ${name}: the other pane's read_pane stays under ${MAX_VICTIM_READ_MS} ms or a quarter of the flood`, async () => {
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
      await mcp.ok("send_keys", { pane, text: "echo ready-$((2*3))", submit: true });
      await mcp.ok("wait_for", { pane, text: "ready-6", timeout_ms: 10_000 });
      await mcp.ok("send_keys", {
        pane,
        text: `yes $'${sequence}' | tr -d '\\n' | head -c ${bytes}; echo fin-$((6*7))`,
        submit: true,
      });
      // A wait on the flooding pane, as an agent would run: its reads used to parse the whole backlog at once.
      let settled = false;
      const began = performance.now();
      const wait = mcp
        .ok<{ reason: string }>("wait_for", { pane, text: "fin-42", timeout_ms: 120_000 })
        .finally(() => {
          settled = true;
        });
      const reads: number[] = [];
      while (!settled) {
        const started = performance.now();
        const read = await mcp.ok<{ text: string }>("read_pane", { pane: victim });
        reads.push(performance.now() - started);
        expect(read.text).toContain("victim-12");
      }
      expect((await wait).reason).toBe("matched");
      const max = Math.max(...reads);
      const floodMs = performance.now() - began;
      console.log(
        `${name}: flood parsed in ${Math.round(floodMs)} ms; victim reads n=${reads.length} max=${Math.round(max)} ms`,
      );
      expect(max).toBeLessThanOrEqual(Math.max(MAX_VICTIM_READ_MS, floodMs * MAX_VICTIM_READ_SHARE));
      await mcp.ok("kill_pane", { pane, signal: "SIGKILL" });
    }, 180_000);
  }
});
