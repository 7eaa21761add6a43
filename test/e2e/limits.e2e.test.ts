import { readFileSync } from "node:fs";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  makeWorkspace,
  processesWith,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

describe("bounds and progress", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [
        { command: "echo", args: ["**"] },
        { command: "sleep", args: ["*"] },
        { command: "cat", args: [""], input: "raw" },
      ],
      limits: { maxExitedPanes: 2, maxInputBytes: 64, maxWaitMs: 1500 },
    });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("keeps at most maxExitedPanes exited panes, evicting the oldest", async () => {
    const ids: string[] = [];
    for (const word of ["one", "two", "three"]) {
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `echo ${word}` });
      await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 5000 });
      ids.push(pane);
    }
    const { panes } = await mcp.ok<{ panes: Array<{ pane: string }> }>("list_panes");
    expect(panes.map((pane) => pane.pane)).toEqual(ids.slice(1));
    await mcp.refused("read_pane", { pane: ids[0] as string }, "PANE_NOT_FOUND");
    const kept = await mcp.ok<{ text: string; exitCode: number }>("read_pane", { pane: ids[2] as string });
    expect(kept).toMatchObject({ text: "three", exitCode: 0 });
    for (const id of ids.slice(1)) await mcp.ok("kill_pane", { pane: id });
  });

  it("send_keys to an exited pane is PANE_EXITED; oversized text is LIMIT_EXCEEDED", async () => {
    const done = await mcp.ok<{ pane: string }>("spawn", { command: "echo bye" });
    await mcp.ok("wait_for", { pane: done.pane, exit: true, timeout_ms: 5000 });
    await mcp.refused("send_keys", { pane: done.pane, keys: ["Enter"] }, "PANE_EXITED");
    const cat = await mcp.ok<{ pane: string }>("spawn", { command: "cat" });
    await mcp.refused("send_keys", { pane: cat.pane, text: "x".repeat(65) }, "LIMIT_EXCEEDED");
    await mcp.ok("send_keys", { pane: cat.pane, text: "x".repeat(64) });
    await mcp.ok("kill_pane", { pane: cat.pane });
    await mcp.ok("kill_pane", { pane: done.pane });
  });

  it("wait_for is capped by maxWaitMs and sends progress notifications while waiting", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "sleep 30" });
    const progress: number[] = [];
    const started = Date.now();
    const result = (await mcp.client.callTool(
      { name: "wait_for", arguments: { pane, text: "never", timeout_ms: 60_000 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    )) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ matched: false, reason: "timeout" });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    await mcp.ok("kill_pane", { pane });
  });
});

describe("a 10k-call flood", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    // One token a minute after the burst: how many get through does not depend on how fast the machine is.
    ws = makeWorkspace({ commands: [], limits: { callsPerMinute: 1, burst: 100 } });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("is refused with RATE_LIMITED past the burst, every call audited, and the server stays responsive", async () => {
    const results: CallToolResult[] = [];
    for (let batch = 0; batch < 20; batch++) {
      results.push(...(await Promise.all(Array.from({ length: 500 }, () => mcp.call("list_panes")))));
    }
    const refused = results.filter((r) => r.isError);
    expect(results).toHaveLength(10_000);
    expect(results.length - refused.length).toBeGreaterThanOrEqual(100);
    expect(results.length - refused.length).toBeLessThanOrEqual(102);
    expect(refused.every((r) => (r.content[0] as { text: string }).text.startsWith("RATE_LIMITED:"))).toBe(
      true,
    );
    // Still answering, promptly and with the same stable refusal.
    const after = await mcp.call("list_panes");
    expect((after.content[0] as { text: string }).text).toMatch(/^RATE_LIMITED: .*retry after/);
    await mcp.close();
    // Every call is accounted for: its own record, or — past the connection's audit budget — counted in a
    // summary record, so the flood cannot rotate the history away.
    const records = readFileSync(ws.auditPath, "utf8")
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const whole = records.filter((r) => r.event === "call" && r.tool === "list_panes");
    const summarised = records
      .filter((r) => r.event === "summary")
      .reduce((sum, r) => sum + ((r.byTool as Record<string, number>).list_panes ?? 0), 0);
    expect(whole.length + summarised).toBe(10_001);
    expect(summarised).toBeGreaterThan(9_000);
    expect(readFileSync(ws.auditPath, "utf8").length).toBeLessThan(1_000_000);
  });
});

describe("limits.maxProcesses", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      limits: { maxProcesses: 32 },
    });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("a pane flooding the process table (fork-bomb-like) is killed with all its processes, and it is audited", async () => {
    const marker = `${4000 + (process.pid % 1000)}`;
    const { pane, sandboxed } = await mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", {
      command: "bash --norc --noprofile",
    });
    expect(sandboxed).toBe(true);
    // A few processes are fine.
    await mcp.ok("send_keys", { pane, text: `for i in 1 2 3; do sleep ${marker}1 & done`, submit: true });
    await eventually(() => processesWith(`sleep ${marker}1`).length === 3);
    await mcp.ok("send_keys", { pane, text: `for i in $(seq 500); do sleep ${marker} & done`, submit: true });
    const waited = await mcp.ok<{ reason: string }>("wait_for", { pane, exit: true, timeout_ms: 20_000 });
    expect(waited.reason).toBe("exited");
    await eventually(() => processesWith(`sleep ${marker}`).length === 0);
    const record = readFileSync(ws.auditPath, "utf8")
      .split("\n")
      .filter((line) => line.includes('"process-limit"'))
      .map((line) => JSON.parse(line));
    expect(record).toHaveLength(1);
    expect(record[0]).toMatchObject({ event: "security", severity: "high", pane, detail: { limit: 32 } });
    expect(record[0].detail.processes).toBeGreaterThan(32);
  });
});

describe("1 GB of output through a sandboxed pane", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({ commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }] });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  const rssOf = (pid: number): number =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;

  it("keeps the server's memory flat while it streams, and the pane answers afterwards", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    await mcp.ok("send_keys", { pane, text: "echo READY-$((40+2))", submit: true });
    await mcp.ok("wait_for", { pane, text: "READY-42", timeout_ms: 10_000 });
    const before = rssOf(mcp.serverPid);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(mcp.serverPid));
    }, 100);
    try {
      await mcp.ok("send_keys", {
        pane,
        text: `yes ${"y".repeat(99)} | head -c 1000000000; echo STREAMED-$((1+1))`,
        submit: true,
      });
      const waited = await mcp.ok<{ matched: boolean }>("wait_for", {
        pane,
        text: "STREAMED-2",
        timeout_ms: 120_000,
      });
      expect(waited.matched).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    // 1 GB went through; the server may grow by buffers and history, never by the volume.
    expect(peak - before).toBeLessThan(128 * 1024 * 1024);
    await mcp.ok("send_keys", { pane, text: "echo AFTER-$((2+2))", submit: true });
    expect(
      (await mcp.ok<{ matched: boolean }>("wait_for", { pane, text: "AFTER-4", timeout_ms: 10_000 })).matched,
    ).toBe(true);
  }, 180_000);
});
