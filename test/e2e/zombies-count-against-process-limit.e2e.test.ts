import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixturePath } from "../support/fixture-path.js";
import { eventually, giveToPanes } from "../support/mcp-harness.js";
import { SIGNAL_SERVERS, type SignalWorkspace, serveSignalWorkspace } from "../support/signal-servers.js";

/**
 * An attack review: a pane that forks children which exit at once and never waits for them held 612-1 184 zombies
 * under limits.maxProcesses 64, sandboxed or not, with no process-limit record. A zombie keeps its pid until it is
 * waited for; with pid_max 32768, one pane could take every pid on the host. They count now, as live processes do.
 */
const LIMIT = 64;
const ZOMBIES = 200;

describe.each(SIGNAL_SERVERS)("zombies count against limits.maxProcesses ($label)", (server) => {
  let env: SignalWorkspace | undefined;
  afterEach(async () => {
    await env?.mcp.close();
    env?.ws.cleanup();
    env = undefined;
  });

  /** A server with the limit, and `fixture` copied into its workspace; returns the copy's path. */
  async function serveWith(fixture: string): Promise<string> {
    env = await serveSignalWorkspace(server, {
      commands: [
        { command: "python3", args: ["-i", "{path} **"], input: "raw" },
        { command: "bash", args: ["--norc --noprofile"], input: "raw" },
      ],
      limits: { maxProcesses: LIMIT },
    });
    const copy = join(env.ws.root, fixture);
    copyFileSync(fixturePath(fixture), copy);
    giveToPanes(copy);
    return copy;
  }

  /** The pane was killed for the limit (it exits, and its process-limit record names it). */
  async function killedForTheLimit(pane: string): Promise<void> {
    if (!env) throw new Error("no server");
    const waited = await env.mcp.ok<{ reason: string }>("wait_for", { pane, exit: true, timeout_ms: 30_000 });
    expect(waited.reason, "the pane was killed long before its 60 s sleep ended").toBe("exited");
    const ws = env.ws;
    const record = await eventually(
      () =>
        readFileSync(ws.auditPath, "utf8")
          .split("\n")
          .filter((line) => line.includes('"process-limit"') && line.includes(pane))
          .map((line) => JSON.parse(line))[0],
    );
    expect(record).toMatchObject({ event: "security", severity: "high", pane, detail: { limit: LIMIT } });
    expect(record.detail.processes).toBeGreaterThan(LIMIT);
  }

  it(`${ZOMBIES} children never waited for, under a limit of ${LIMIT}: the pane is killed, with a security record`, async () => {
    const maker = await serveWith("zombie-maker.py");
    const { pane, sandboxed } = await (env as SignalWorkspace).mcp.ok<{ pane: string; sandboxed: boolean }>(
      "spawn",
      { command: `python3 ${maker} ${ZOMBIES} 60` },
    );
    expect(sandboxed).toBe(server.mode === "required");
    await killedForTheLimit(pane);
  });

  // An attack review: a process whose main thread exits shows as a zombie while its other threads run; 200 ran under
  // a limit of 20, counted as one.
  it(`a process whose main thread exited, its ${ZOMBIES} threads running on: the threads count, and the pane is killed`, async () => {
    const threads = await serveWith("thread-leader-exits.py");
    const { mcp } = env as SignalWorkspace;
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    await mcp.ok("send_keys", { pane, text: `python3 ${threads} ${ZOMBIES} 60`, submit: true });
    await killedForTheLimit(pane);
  });
});
