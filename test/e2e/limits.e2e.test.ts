import { readdirSync, readFileSync } from "node:fs";
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
      // 26 s alone, 150 s seen with both cores busy: the wait (capped by maxWaitMs, 300 s) and the client's own
      // request timeout (60 s by default) must outlast a busy machine.
      const waited = await mcp.client.callTool(
        { name: "wait_for", arguments: { pane, text: "STREAMED-2", timeout_ms: 300_000 } },
        undefined,
        { timeout: 310_000 },
      );
      expect((waited.structuredContent as { matched: boolean }).matched).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    // 1 GB went through; the server may grow by buffers and history, never by the volume. Node 24's V8 gives
    // the main thread twice Node 22's young generation (64 MB of new space, not 32): a fixed cost, not volume.
    const youngGrowth = Number(process.versions.node.split(".")[0]) >= 24 ? 32 : 0;
    expect(peak - before).toBeLessThan((128 + youngGrowth) * 1024 * 1024);
    await mcp.ok("send_keys", { pane, text: "echo AFTER-$((2+2))", submit: true });
    expect(
      (await mcp.ok<{ matched: boolean }>("wait_for", { pane, text: "AFTER-4", timeout_ms: 10_000 })).matched,
    ).toBe(true);
  }, 360_000);
});

/**
 * Issue 9, item 8: processes that call setsid() left the pane's session, and the limit counted sessions: 41 ran
 * under a limit of 8, with no kill and no record. Counted now by parent chain (the sandbox's whole PID
 * namespace; outside it, descendants, with the server as the subreaper of their orphans). The control, that a
 * session count misses them, is in test/panes/pane-processes.test.ts.
 */
for (const [index, mode] of (["required", "off"] as const).entries()) {
  describe(`setsid children escape maxProcesses (sandbox.mode: ${mode})`, () => {
    let ws: TestWorkspace;
    let mcp: Served;
    beforeAll(async () => {
      ws = makeWorkspace({
        commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
        limits: { maxProcesses: 8 },
        sandbox: { mode },
      });
      mcp = await serveWorkspace(ws);
    });
    afterAll(async () => {
      await mcp?.close();
      ws?.cleanup();
    });

    const limitRecords = (pane: string): Array<Record<string, unknown> & { detail: { processes: number } }> =>
      readFileSync(ws.auditPath, "utf8")
        .split("\n")
        .filter((line) => line.includes('"process-limit"') && line.includes(pane))
        .map((line) => JSON.parse(line));

    async function shell(): Promise<string> {
      const { pane, sandboxed } = await mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", {
        command: "bash --norc --noprofile",
      });
      expect(sandboxed).toBe(mode === "required");
      return pane;
    }

    it("41 `setsid sleep &` jobs: the pane is killed whole, setsid'd ones included, with a security record", async () => {
      const marker = `${5000 + (process.pid % 1000)}${index}1`;
      const pane = await shell();
      // A few detached processes are within the limit: nothing is killed.
      await mcp.ok("send_keys", {
        pane,
        text: `for i in 1 2 3; do setsid sleep ${marker}1 & done`,
        submit: true,
      });
      await eventually(() => processesWith(`sleep ${marker}1`).length === 3);
      expect(limitRecords(pane)).toHaveLength(0);
      await mcp.ok("send_keys", {
        pane,
        text: `for i in $(seq 41); do setsid sleep ${marker}2 & done`,
        submit: true,
      });
      const waited = await mcp.ok<{ reason: string }>("wait_for", { pane, exit: true, timeout_ms: 20_000 });
      expect(waited.reason).toBe("exited");
      await eventually(() => processesWith(`sleep ${marker}`).length === 0);
      const records = limitRecords(pane);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ event: "security", severity: "high", pane, detail: { limit: 8 } });
      expect(records[0]?.detail.processes).toBeGreaterThan(8);
    });

    it("a thread bomb: 41 threads in one process count as 41 pids, and the pane is killed", async () => {
      const marker = `${5000 + (process.pid % 1000)}${index}3`;
      const pane = await shell();
      const bomb = `import threading, time\nfor _ in range(41): threading.Thread(target=time.sleep, args=(${marker},), daemon=True).start()\ntime.sleep(${marker})`;
      await mcp.ok("send_keys", { pane, text: `python3 -c $'${bomb}'`, submit: true });
      const waited = await mcp.ok<{ reason: string }>("wait_for", { pane, exit: true, timeout_ms: 20_000 });
      expect(waited.reason).toBe("exited");
      const records = limitRecords(pane);
      expect(records).toHaveLength(1);
      expect(records[0]?.detail.processes).toBeGreaterThan(8);
    });

    it("double-forked, setsid'd, terminal closed, and the shell gone: the leftovers are still counted and killed", async () => {
      const marker = `${5000 + (process.pid % 1000)}${index}2`;
      const pane = await shell();
      // Each sleep's parent exits at once (an orphan before any look at /proc), it has its own session and no
      // terminal, and the pane's shell exits right after starting them.
      const detach = `(setsid sleep ${marker} </dev/null >/dev/null 2>&1 &)`;
      await mcp.ok("send_keys", { pane, text: `for i in $(seq 41); do ${detach}; done; exit`, submit: true });
      await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 20_000 });
      await eventually(() => processesWith(`sleep ${marker}`).length === 0, 20_000);
      // In the sandbox the shell's exit ends the PID namespace's init, and the kernel kills the rest with it
      // (the limit may or may not have fired first). Outside it, only the limit's kill sweep ends them.
      const records = limitRecords(pane);
      if (mode === "off") expect(records).toHaveLength(1);
      for (const record of records) expect(record.detail.processes).toBeGreaterThan(8);
    });
  });
}

/** Child processes of `pid` that are zombies (exited, not yet waited for). */
function zombieChildren(pid: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return fields[0] === "Z" && Number(fields[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("setsid children escape maxProcesses: detached from every terminal, beside another pane (sandbox.mode: off)", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      limits: { maxProcesses: 8 },
      sandbox: { mode: "off" },
    });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("orphans no pane can be named for are bounded and killed on their own; the other pane lives, nothing is left unreaped", async () => {
    const marker = `${5000 + (process.pid % 1000)}93`;
    const spawn = () => mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    const bystander = (await spawn()).pane;
    const attacker = (await spawn()).pane;
    // With two panes, an orphan whose parent is gone, in a session of its own, with no terminal open, cannot be
    // told apart; the exited ones (`true`) must be reaped by the server.
    const detach = `(setsid sleep ${marker} </dev/null >/dev/null 2>&1 &); (setsid true </dev/null >/dev/null 2>&1 &)`;
    await mcp.ok("send_keys", {
      pane: attacker,
      text: `for i in $(seq 41); do ${detach}; done; echo DETACHED-$((40+1))`,
      submit: true,
    });
    await mcp.ok("wait_for", { pane: attacker, text: "DETACHED-41", timeout_ms: 20_000 });
    const record = await eventually(
      () =>
        readFileSync(ws.auditPath, "utf8")
          .split("\n")
          .filter((line) => line.includes('"process-limit"'))
          .map((line) => JSON.parse(line))[0],
      20_000,
    );
    // Bounded: what outlives the pool's kill stays within the limit, for the pool and for the attacker's pane each.
    // Sleeps a look saw while their subshell still lived are the attacker's (remembered): on a loaded machine
    // (CI) some are, and the pool alone then holds fewer than 8.
    await eventually(() => processesWith(`sleep ${marker}`).length <= 2 * 8);
    expect(record).toMatchObject({ event: "security", severity: "high", detail: { limit: 8 } });
    expect(record.detail.processes).toBeGreaterThan(8);
    expect([...record.detail.panes].sort()).toEqual([bystander, attacker].sort());
    // The bystander was not killed for processes it did not start.
    await mcp.ok("send_keys", { pane: bystander, text: "echo ALIVE-$((40+2))", submit: true });
    expect(
      (await mcp.ok<{ matched: boolean }>("wait_for", { pane: bystander, text: "ALIVE-42" })).matched,
    ).toBe(true);
    // Once no pane is left that could own them, the rest are killed too, and everything is reaped.
    await mcp.ok("kill_pane", { pane: attacker });
    await mcp.ok("kill_pane", { pane: bystander });
    await eventually(() => processesWith(`sleep ${marker}`).length === 0);
    await eventually(() => zombieChildren(mcp.serverPid).length === 0);
  });
});
