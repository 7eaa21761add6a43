import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI, makeWorkspace, readAudit } from "../support/mcp-harness.js";

/** Sends raw JSON-RPC lines to `ccmux serve` and collects the responses by id (no SDK client in between). */
async function rawSession(
  policyPath: string,
  requests: unknown[],
): Promise<Map<number, Record<string, unknown>>> {
  const child = spawn(process.execPath, [CLI, "serve", "--config", policyPath], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const lines = [
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
    },
    { jsonrpc: "2.0", method: "notifications/initialized" },
    ...requests,
  ];
  for (const line of lines) child.stdin.write(`${typeof line === "string" ? line : JSON.stringify(line)}\n`);
  // Every request with an id is answered, and so is every line that is not JSON (with id null).
  const wanted =
    requests.filter((r) => typeof r === "string" || (typeof r === "object" && r !== null && "id" in r))
      .length + 1;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answers: ${out}`)), 10_000);
    child.stdout.on("data", () => {
      if (out.split("\n").filter((l) => l.trim()).length >= wanted) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.stdin.end();
  await new Promise((resolve) => child.once("exit", resolve));
  const byId = new Map<number, Record<string, unknown>>();
  for (const line of out.split("\n").filter((l) => l.trim())) {
    const message = JSON.parse(line) as Record<string, unknown>;
    byId.set(message.id as number, message);
  }
  return byId;
}

describe("malformed JSON-RPC tool calls", () => {
  it("get a stable code and an audit record, and the server keeps serving", async () => {
    const ws = makeWorkspace({ commands: [{ command: "echo", args: ["**"] }] });
    try {
      const answers = await rawSession(ws.policyPath, [
        "{not json",
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: 123 } },
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "spawn", arguments: "echo hi" } },
        { jsonrpc: "2.0", id: 3, method: "tools/call" },
        { jsonrpc: "2.0", id: 4, method: "tools/list" },
      ]);
      // No tool name (a number, none at all) names no tool: a JSON-RPC error, as MCP wants an unknown tool.
      for (const id of [1, 3]) {
        const error = answers.get(id)?.error as { code?: number; message?: string; data?: unknown };
        expect(error?.code, `id ${id}`).toBe(-32602);
        expect(error?.message).toMatch(/^INVALID_ARGUMENT: Unknown tool/);
        expect(error?.data).toEqual({ code: "INVALID_ARGUMENT" });
      }
      // Arguments of the wrong shape for a real tool are a tool result the model can correct from.
      const result = answers.get(2)?.result as { isError?: boolean; content?: Array<{ text: string }> };
      expect(result?.isError).toBe(true);
      expect(result?.content?.[0]?.text).toMatch(/^INVALID_ARGUMENT: /);
      const listed = answers.get(4)?.result as { tools: unknown[] } | undefined;
      expect(listed?.tools.length ?? 0).toBeGreaterThan(0);
      // The line that is not JSON is answered with JSON-RPC's parse error and audited like the rest.
      expect(answers.get(null as unknown as number)?.error).toMatchObject({ code: -32700 });
      const denials = readAudit(ws.auditPath).filter((r) => r.event === "call" && r.decision === "deny");
      expect(denials).toHaveLength(4);
    } finally {
      ws.cleanup();
    }
  });
});

/** `depth` levels of `{"a":…}` around 1, as raw JSON text (JSON.stringify would recurse as deep). */
const deepJson = (depth: number): string => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

describe("arguments nested 20 000 deep (stack overflow in redaction, -32603 and no audit record)", () => {
  it("every such call gets INVALID_ARGUMENT and exactly one audit record with the arguments' digest", async () => {
    const ws = makeWorkspace({ commands: [{ command: "echo", args: ["**"] }] });
    try {
      const call = (id: number, name: string, args: string) =>
        `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${args}}}`;
      const answers = await rawSession(ws.policyPath, [
        call(1, "spawn", `{"command":"echo hi","x":${deepJson(20_000)}}`),
        // Siblings: an unknown tool, a deep array, deep inside `env` (redaction walks env specially).
        call(2, "no_such_tool", deepJson(20_000)),
        call(3, "send_keys", `{"pane":"p-x","text":${"[".repeat(20_000)}${"]".repeat(20_000)}}`),
        call(4, "spawn", `{"command":"echo hi","env":{"A_TOKEN":${deepJson(20_000)}}}`),
        { jsonrpc: "2.0", id: 5, method: "tools/list" },
      ]);
      for (const id of [1, 3, 4]) {
        const answer = answers.get(id) as {
          result?: { isError?: boolean; content?: Array<{ text: string }> };
        };
        expect(answer.result?.isError, `id ${id}: ${JSON.stringify(answer).slice(0, 200)}`).toBe(true);
        expect(answer.result?.content?.[0]?.text).toMatch(
          /^INVALID_ARGUMENT: The arguments nest deeper than 32/,
        );
      }
      // The tool name is checked before its arguments: no such tool is a JSON-RPC error, however deep.
      expect((answers.get(2)?.error as { code?: number } | undefined)?.code).toBe(-32602);
      expect(
        (answers.get(5)?.result as { tools?: unknown[] } | undefined)?.tools?.length ?? 0,
      ).toBeGreaterThan(0);
      const calls = readAudit(ws.auditPath).filter((r) => r.event === "call");
      expect(calls.map((r) => [r.tool, r.decision, r.code])).toEqual([
        ["spawn", "deny", "INVALID_ARGUMENT"],
        ["no_such_tool", "deny", "INVALID_ARGUMENT"],
        ["send_keys", "deny", "INVALID_ARGUMENT"],
        ["spawn", "deny", "INVALID_ARGUMENT"],
      ]);
      for (const record of calls) {
        expect(record.args).toMatchObject({ unlogged: "too-deep", depth: 33, sha256: expect.any(String) });
      }
    } finally {
      ws.cleanup();
    }
  });

  it("arguments with 30 000 values are refused and audited the same way", async () => {
    const ws = makeWorkspace({ commands: [{ command: "echo", args: ["**"] }] });
    try {
      const wide = JSON.stringify({ command: "echo hi", x: Array.from({ length: 30_000 }, () => 0) });
      const answers = await rawSession(ws.policyPath, [
        `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"spawn","arguments":${wide}}}`,
      ]);
      const result = answers.get(1)?.result as { content: Array<{ text: string }> };
      expect(result.content[0]?.text).toMatch(/^INVALID_ARGUMENT: The arguments hold more than 20000 values/);
      const calls = readAudit(ws.auditPath).filter((r) => r.event === "call");
      expect(calls).toHaveLength(1);
      expect(calls[0]?.args).toMatchObject({ unlogged: "too-many-values" });
    } finally {
      ws.cleanup();
    }
  });
});
