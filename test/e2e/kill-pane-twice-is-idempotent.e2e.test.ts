import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, makeWorkspace, readAudit, serveWorkspace } from "../support/mcp-harness.js";
import {
  SIGNAL_SERVERS,
  type SignalWorkspace,
  serveSignalWorkspace,
  spawnReady,
} from "../support/signal-servers.js";

// Issue 11: kill_pane is annotated idempotentHint, yet a second kill_pane on the same pane answered
// PANE_NOT_FOUND. A client may retry an idempotent call (after a lost answer, say) and must get the same answer.
interface Killed {
  pane: string;
  alive: boolean;
  exitCode: number | null;
  signal: number | null;
}

/** The signal probe's counts (test/fixtures/signal-probe.py count), or undefined before it wrote them. */
function counts(file: string): Record<string, number> | undefined {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { counts: Record<string, number> }).counts;
  } catch {
    return undefined;
  }
}

describe.each(SIGNAL_SERVERS)("kill_pane twice on one pane ($label)", (server) => {
  let env: SignalWorkspace;
  beforeAll(async () => {
    env = await serveSignalWorkspace(server);
  });
  afterAll(async () => {
    await env?.mcp.close();
    env?.ws.cleanup();
  });

  it("the second and third kill_pane answer what the first did, and are audited as repeats", async () => {
    const { mcp, probe, ws } = env;
    const { pane } = await spawnReady(mcp, server, `python3 ${probe} echo`);
    const first = await mcp.ok<Killed>("kill_pane", { pane });
    expect(first).toEqual({ pane, alive: false, exitCode: null, signal: 15 });
    expect(await mcp.ok<Killed>("kill_pane", { pane })).toEqual(first);
    expect(await mcp.ok<Killed>("kill_pane", { pane, signal: "SIGKILL" })).toEqual(first);
    const kills = readAudit(ws.auditPath).filter((r) => r.tool === "kill_pane" && r.pane === pane);
    expect(kills.map((r) => [r.decision, r.repeated ?? false])).toEqual([
      ["allow", false],
      ["allow", true],
      ["allow", true],
    ]);
    // Still gone: not listed, not readable.
    const { panes } = await mcp.ok<{ panes: Array<{ pane: string }> }>("list_panes");
    expect(panes.map((p) => p.pane)).not.toContain(pane);
    await mcp.refused("read_pane", { pane }, "PANE_NOT_FOUND");
  });

  it("two kill_pane at once: both succeed with one answer, and the program gets one signal", async () => {
    const { mcp, probe, ws } = env;
    const file = join(ws.root, "counted-twice.json");
    const { pane } = await spawnReady(mcp, server, `python3 ${probe} count ${file}`);
    await eventually(() => counts(file));
    const [a, b] = await Promise.all([
      mcp.ok<Killed>("kill_pane", { pane, signal: "SIGINT" }),
      mcp.ok<Killed>("kill_pane", { pane, signal: "SIGINT" }),
    ]);
    // The probe survives SIGINT; SIGKILL ends it after the grace.
    expect(a).toEqual({ pane, alive: false, exitCode: null, signal: 9 });
    expect(b).toEqual(a);
    expect(counts(file)).toEqual({ SIGINT: 1 });
  });
});

describe("kill_pane remembers only its own connection's kills", () => {
  it("a pane id killed through another server answers PANE_NOT_FOUND here (no oracle)", async () => {
    const ws = makeWorkspace({ commands: [{ command: "sleep", args: ["*"] }], sandbox: { mode: "off" } });
    const a = await serveWorkspace(ws);
    const b = await serveWorkspace(ws);
    try {
      const { pane } = await a.ok<{ pane: string }>("spawn", { command: "sleep 30" });
      await b.refused("kill_pane", { pane }, "PANE_NOT_FOUND");
      await a.ok("kill_pane", { pane });
      await b.refused("kill_pane", { pane }, "PANE_NOT_FOUND");
      await a.ok("kill_pane", { pane });
      await b.refused("kill_pane", { pane: "p-AAAAAAAAAAAAAAAA" }, "PANE_NOT_FOUND");
      await a.refused("kill_pane", { pane: "p-AAAAAAAAAAAAAAAA" }, "PANE_NOT_FOUND");
    } finally {
      await a.close();
      await b.close();
      ws.cleanup();
    }
  });
});
