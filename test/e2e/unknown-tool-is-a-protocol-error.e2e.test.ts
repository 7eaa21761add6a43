import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
  textOf,
} from "../support/mcp-harness.js";

// Issue 11: a tools/call naming a tool the server does not have came back as a tool result with isError. MCP's
// tools "Error Handling" makes an unknown tool a protocol error: a JSON-RPC error, -32602 in the spec's example.
// It is still a refusal like any other: exactly one audit record with a stable code.

/** The JSON-RPC error a call is answered with (fails the test if it was answered with a result). */
async function protocolError(mcp: Served, name: string, args: Record<string, unknown>): Promise<McpError> {
  const outcome = await mcp.client.callTool({ name, arguments: args }).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome))
    throw new Error(`${JSON.stringify(name)} got a tool result, not a JSON-RPC error`);
  expect(outcome.error).toBeInstanceOf(McpError);
  return outcome.error as McpError;
}

describe("an unknown tool name gets a JSON-RPC error (-32602), audited once", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({ commands: [{ command: "echo", args: ["**"] }], sandbox: { mode: "off" } });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("exec: JSON-RPC error -32602, INVALID_ARGUMENT in message and data, one deny record", async () => {
    const before = readAudit(ws.auditPath).length;
    const error = await protocolError(mcp, "exec", { command: "id" });
    expect(error.code).toBe(-32602);
    expect(error.message).toBe(
      'MCP error -32602: INVALID_ARGUMENT: Unknown tool "exec"; tools/list names the tools.',
    );
    expect(error.data).toEqual({ code: "INVALID_ARGUMENT" });
    const added = readAudit(ws.auditPath).slice(before);
    expect(added).toEqual([
      expect.objectContaining({
        event: "call",
        tool: "exec",
        decision: "deny",
        code: "INVALID_ARGUMENT",
        args: { command: "id" },
      }),
    ]);
    // The server keeps serving.
    expect((await mcp.ok<{ panes: unknown[] }>("list_panes")).panes).toEqual([]);
  });

  it.each([
    ["a near miss in case", "Spawn"],
    ["a trailing space", "spawn "],
    ["an empty name", ""],
    ["an inherited property name", "__proto__"],
    ["a name past 64 characters", `x${"y".repeat(200)}`],
  ])("sibling, %s: the same protocol error and one record", async (_label, name) => {
    const before = readAudit(ws.auditPath).length;
    const error = await protocolError(mcp, name, {});
    expect(error.code).toBe(-32602);
    expect(error.message).toMatch(/^MCP error -32602: INVALID_ARGUMENT: Unknown tool "/);
    expect(error.message.length).toBeLessThan(200);
    const added = readAudit(ws.auditPath).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ tool: name, decision: "deny", code: "INVALID_ARGUMENT" });
  });

  it("control: a known tool with arguments of the wrong shape stays a tool result the model can correct", async () => {
    const result = await mcp.call("spawn", { command: "echo hi", shell: true });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^INVALID_ARGUMENT: /);
  });
});
