import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI,
  eventually,
  makeWorkspace,
  readAudit,
  serverPath,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * `npm test` printed "MaxListenersExceededWarning: Possible EventEmitter memory leak … 11 drain listeners added
 * to [Socket]": the SDK's stdio transports park one 'drain' listener per message a full pipe did not take, so
 * a burst of calls (tests fire hundreds) or of answers to a slow reader (the server's side) piled them up.
 * Both sides now write one message at a time (oneSendAtATime).
 */
const BURST = 2000;
const BURST_SCRIPT = resolve(import.meta.dirname, "../fixtures/sdk-client-burst.mjs");
let ws: TestWorkspace;
/** The server's environment, as serveWorkspace gives it. */
const serverEnv = () => ({
  PATH: serverPath(),
  HOME: process.env.HOME ?? "/root",
  LANG: "C.UTF-8",
  XDG_STATE_HOME: join(ws.dir, "xdg-state"),
  XDG_CONFIG_HOME: join(ws.dir, "xdg-config"),
});

beforeAll(() => {
  ws = makeWorkspace({ commands: [], limits: { callsPerMinute: 100_000 } }, { busy: true });
});
afterAll(() => ws?.cleanup());

const LEAK_WARNING = "MaxListenersExceededWarning";

describe("a burst of calls or answers warns of a listener leak", () => {
  it("a client that reads nothing while 2000 calls arrive: the server answers every one, in order, and prints no warning", async () => {
    const child = spawn(process.execPath, [CLI, "serve", "--config", ws.policyPath], {
      stdio: ["pipe", "pipe", "pipe"],
      env: serverEnv(),
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const lines = [
      {
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "slow", version: "0" },
        },
      },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      ...Array.from({ length: BURST }, (_, i) => ({
        jsonrpc: "2.0",
        id: i + 1,
        method: "tools/call",
        params: { name: "list_panes", arguments: {} },
      })),
    ];
    child.stdin.write(lines.map((line) => `${JSON.stringify(line)}\n`).join(""));
    // Nothing reads stdout until every call has been handled: its answers (about 200 KB) fill the pipe.
    await eventually(
      () =>
        existsSync(ws.auditPath) &&
        readAudit(ws.auditPath).filter((r) => r.tool === "list_panes").length >= BURST,
      60_000,
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    await eventually(() => out.split("\n").filter((line) => line.trim()).length >= BURST + 1, 30_000);
    child.stdin.end();
    await new Promise((resolveExit) => child.once("exit", resolveExit));
    const ids = out
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => (JSON.parse(line) as { id: number }).id);
    expect(ids).toEqual(Array.from({ length: BURST + 1 }, (_, i) => i));
    expect(stderr).not.toContain(LEAK_WARNING);
  }, 120_000);

  it("2000 calls fired at once through the SDK client: no warning with one send at a time; the SDK's own transport warns (control)", () => {
    const burst = (...mode: string[]) =>
      spawnSync(process.execPath, [BURST_SCRIPT, CLI, ws.policyPath, String(BURST), ...mode], {
        encoding: "utf8",
        env: serverEnv(),
        timeout: 60_000,
      });
    const fixed = burst("one-at-a-time");
    expect(fixed.stdout).toBe(`${BURST} answered\n`);
    expect(fixed.stderr).not.toContain(LEAK_WARNING);
    const control = burst();
    expect(control.stdout).toBe(`${BURST} answered\n`);
    expect(control.stderr).toContain(LEAK_WARNING);
  }, 120_000);
});
