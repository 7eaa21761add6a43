import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  paneEnd,
  SIGNAL_SERVERS,
  type SignalWorkspace,
  serveSignalWorkspace,
  spawnReady,
} from "../support/signal-servers.js";

const LIMIT = 4; // the policy's smallest

// The sandbox runs three processes of its own around the program (bwrap, its PID namespace's init, and the launcher
// that reports the program's exit status). Counted against limits.maxProcesses, they left a sandboxed program
// three processes fewer than an unsandboxed one: the limit must mean the program's processes in both.
describe.each(SIGNAL_SERVERS)(
  "limits.maxProcesses counts the program's processes alike ($label)",
  (server) => {
    let env: SignalWorkspace;
    beforeAll(async () => {
      env = await serveSignalWorkspace(server, { limits: { maxProcesses: LIMIT } });
    });
    afterAll(async () => {
      await env?.mcp.close();
      env?.ws.cleanup();
    });

    it(`a program with ${LIMIT} processes runs on (the sandbox's own are not counted)`, async () => {
      const { mcp, probe } = env;
      const { pane } = await spawnReady(mcp, server, `python3 ${probe} children ${LIMIT - 1}`);
      // Ten heartbeats are a second: four looks of the process watch, each of which would have killed it.
      const beat = await mcp.ok<{ matched: boolean; alive: boolean }>("wait_for", {
        pane,
        text: "ALIVE 10",
        timeout_ms: 20_000,
      });
      expect(beat).toMatchObject({ matched: true, alive: true });
      await mcp.ok("kill_pane", { pane, signal: "SIGKILL" });
    });

    it(`a program with ${LIMIT + 1} processes is killed`, async () => {
      const { mcp, probe, ws } = env;
      const { pane } = await spawnReady(mcp, server, `python3 ${probe} children ${LIMIT}`);
      expect(await paneEnd(mcp, pane)).toMatchObject({ exitCode: null, signal: 9 });
      const record = readFileSync(ws.auditPath, "utf8")
        .split("\n")
        .filter((line) => line.includes('"process-limit"') && line.includes(pane))
        .map((line) => JSON.parse(line));
      expect(record[0]?.detail).toEqual({ processes: LIMIT + 1, limit: LIMIT });
      await mcp.ok("kill_pane", { pane });
    });
  },
);
