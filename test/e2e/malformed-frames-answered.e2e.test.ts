import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { type TestDaemons, testDaemons } from "../support/daemon-harness.js";
import {
  CLI,
  eventually,
  makeWorkspace,
  readAudit,
  serverEnv,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * Frames the MCP SDK's transport cannot read used to be dropped unanswered and unaudited (an attack review's
 * find): a client, or an agent able to write raw bytes to the server, could probe without a trace. Each is now
 * answered with JSON-RPC's own error (id null) and audited; the server goes on. Raw bytes on the server's stdin,
 * through `serve` and through `serve --daemon`.
 */
const FRAMES = [
  ["not JSON", "this is not json", -32700],
  ["JSON-RPC 1.0", '{"jsonrpc":"1.0","id":1,"method":"tools/list"}', -32600],
  ["a batch", '[{"jsonrpc":"2.0","id":2,"method":"ping"}]', -32600],
  [
    "no jsonrpc field",
    '{"id":3,"method":"tools/call","params":{"name":"spawn","arguments":{"command":"ls"}}}',
    -32600,
  ],
  // The SDK's transport closed the whole connection past 10 MiB: `serve` ended with its panes, the bridge hung.
  [
    "a frame over 4 MiB",
    `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"send_keys","arguments":{"pane":"p-x","text":"${"x".repeat(11 * 1024 * 1024)}"}}}`,
    -32600,
  ],
] as const;

describe.each([
  ["serve", false],
  ["serve --daemon", true],
] as const)("malformed frames are answered and audited (%s)", (_label, viaDaemon) => {
  let ws: TestWorkspace | undefined;
  let daemons: TestDaemons | undefined;
  let server: ChildProcessWithoutNullStreams | undefined;
  afterEach(async () => {
    server?.stdin.end();
    if (server && server.exitCode === null) await new Promise((resolve) => server?.once("exit", resolve));
    await daemons?.stopAll();
    ws?.cleanup();
    server = undefined;
    daemons = undefined;
    ws = undefined;
  });

  it("each gets a JSON-RPC error with id null and a deny record; the next valid request is answered", async () => {
    ws = makeWorkspace({ commands: [{ command: "ls" }], sandbox: { mode: "off" } });
    if (viaDaemon) daemons = testDaemons(ws);
    const env = daemons ? daemons.env : serverEnv(ws);
    const args = [CLI, "serve", "--config", ws.policyPath, ...(viaDaemon ? ["--daemon"] : [])];
    server = spawn(process.execPath, args, { env, cwd: ws.dir });
    const lines: Array<Record<string, unknown>> = [];
    let partial = "";
    server.stdout.on("data", (chunk: Buffer) => {
      const parts = (partial + chunk.toString("utf8")).split("\n");
      partial = parts.pop() ?? "";
      for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as Record<string, unknown>);
    });
    const send = (line: string) => server?.stdin.write(`${line}\n`);
    send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "raw", version: "1" },
        },
      }),
    );
    await eventually(() => lines.some((l) => l.id === 0), 30_000);
    for (const [, frame] of FRAMES) send(frame);
    send(JSON.stringify({ jsonrpc: "2.0", id: 99, method: "ping" }));
    await eventually(() => lines.some((l) => l.id === 99), 30_000);
    const errors = lines.filter((l) => l.id === null);
    expect(errors.map((l) => (l.error as { code: number }).code)).toEqual(FRAMES.map(([, , code]) => code));
    for (const error of errors) {
      expect(error.error).toMatchObject({
        message: expect.stringMatching(/^INVALID_ARGUMENT: /),
        data: { code: "INVALID_ARGUMENT" },
      });
    }
    expect(lines.find((l) => l.id === 99)).toMatchObject({ result: {} });
    const denied = readAudit(ws.auditPath).filter(
      (r) => r.decision === "deny" && r.code === "INVALID_ARGUMENT",
    );
    expect(denied.map((r) => r.reason)).toEqual([
      "a frame that is not JSON",
      "a JSON frame that is not a JSON-RPC message",
      "a JSON frame that is not a JSON-RPC message",
      "a JSON frame that is not a JSON-RPC message",
      expect.stringMatching(/^a frame of 1153\d{4} bytes, over the limit of 4194304 bytes$/),
    ]);
    // Nothing ran: the tools/call inside a frame without "jsonrpc" never reached the tools.
    expect(readAudit(ws.auditPath).some((r) => r.tool === "spawn")).toBe(false);
  });
});
