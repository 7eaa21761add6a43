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
  const wanted = requests.filter((r) => typeof r === "object" && r !== null && "id" in r).length + 1;
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
      for (const id of [1, 2, 3]) {
        const result = answers.get(id)?.result as { isError?: boolean; content?: Array<{ text: string }> };
        expect(result?.isError, `id ${id}`).toBe(true);
        expect(result?.content?.[0]?.text).toMatch(/^INVALID_ARGUMENT: /);
      }
      const listed = answers.get(4)?.result as { tools: unknown[] } | undefined;
      expect(listed?.tools.length ?? 0).toBeGreaterThan(0);
      const denials = readAudit(ws.auditPath).filter((r) => r.event === "call" && r.decision === "deny");
      expect(denials).toHaveLength(3);
    } finally {
      ws.cleanup();
    }
  });
});
