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

  it(`${ZOMBIES} children never waited for, under a limit of ${LIMIT}: the pane is killed, with a security record`, async () => {
    env = await serveSignalWorkspace(server, { limits: { maxProcesses: LIMIT } });
    const maker = join(env.ws.root, "zombie-maker.py");
    copyFileSync(fixturePath("zombie-maker.py"), maker);
    giveToPanes(maker);
    const { pane, sandboxed } = await env.mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", {
      command: `python3 ${maker} ${ZOMBIES} 60`,
    });
    expect(sandboxed).toBe(server.mode === "required");
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
  });
});
