import { type CallToolResult, ErrorCode } from "@modelcontextprotocol/sdk/types.js";

/**
 * A tools/call naming no tool of this server (or no name at all), as MCP wants it answered: a JSON-RPC error,
 * code -32602 (Invalid params; the spec's tools "Error Handling" example: "Unknown tool"), not a tool result.
 * Its message is the refusal's `CODE: sentence` line (sanitized), its data `{ code }`; the SDK's Protocol sends
 * `code`, `message` and `data` as they are. Not an McpError, whose message would carry "MCP error -32602:" twice
 * once the client wraps it again.
 */
export class UnknownToolError extends Error {
  readonly code = ErrorCode.InvalidParams;
  readonly data: { code: "INVALID_ARGUMENT" };

  constructor(refusal: CallToolResult) {
    const first = refusal.content[0];
    super(first?.type === "text" ? (first.text.split("\n")[0] as string) : "INVALID_ARGUMENT: Unknown tool.");
    this.name = "UnknownToolError";
    this.data = { code: "INVALID_ARGUMENT" };
  }
}
