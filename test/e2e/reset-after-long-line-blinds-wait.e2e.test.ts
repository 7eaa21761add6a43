import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

// Issue 9 (second review): a 2 MB line without a newline, then RIS (ESC c), left the screen's history marker
// on the buffer xterm discarded; every later wait_for on the pane (text or regex, new waits too) timed out
// although read_pane showed the text.
describe("a long line then a terminal reset blinds wait_for on the pane", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      limits: { callsPerMinute: 100_000 },
    });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  const cases: [string, string][] = [
    ["ESC c (RIS)", "\\ec"],
    ["ESC[3J after ESC[2J", "\\e[2J\\e[3J"],
    ["the alternate screen", "\\e[?1049h\\e[?1049l"],
  ];
  for (const [name, sequence] of cases) {
    it(`2 MB line, then ${name}: wait_for sees the next line, and later ones`, async () => {
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
      await mcp.ok("send_keys", { pane, text: "echo ready-$((2*3))", submit: true });
      await mcp.ok("wait_for", { pane, text: "ready-6", timeout_ms: 10_000 });
      await mcp.ok("send_keys", {
        pane,
        text: `head -c 2000000 /dev/zero | tr \\\\0 x; printf '${sequence}\\ndone\\n'; echo fin-$((6*7))`,
        submit: true,
      });
      const first = await mcp.ok<{ reason: string }>("wait_for", {
        pane,
        text: "fin-42",
        timeout_ms: 30_000,
      });
      expect(first.reason).toBe("matched");
      const again = await mcp.ok<{ reason: string }>("wait_for", {
        pane,
        text: "fin-42",
        timeout_ms: 10_000,
      });
      expect(again.reason).toBe("matched");
      await mcp.ok("send_keys", { pane, text: "echo later-$((7*8))", submit: true });
      const text = await mcp.ok<{ reason: string }>("wait_for", {
        pane,
        text: "later-56",
        timeout_ms: 10_000,
      });
      expect(text.reason).toBe("matched");
      const regex = await mcp.ok<{ reason: string }>("wait_for", {
        pane,
        regex: "later-5[6]",
        timeout_ms: 10_000,
      });
      expect(regex.reason).toBe("matched");
      await mcp.ok("kill_pane", { pane, signal: "SIGKILL" });
    }, 90_000);
  }
});
