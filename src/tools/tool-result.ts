import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { CcmuxError } from "../errors.js";

/** A successful result: structured content plus the same as JSON text for clients that only read text. */
export function okResult(structured: Record<string, unknown>, text?: string): CallToolResult {
  return {
    content: [{ type: "text", text: text ?? JSON.stringify(structured) }],
    structuredContent: structured,
  };
}

/** A refusal or failure: first line `CODE: sentence`, then the error's public data as JSON when it has any. */
export function errorResult(error: CcmuxError): CallToolResult {
  const lines = [`${error.code}: ${error.message}`];
  if (Object.keys(error.data).length > 0) lines.push(JSON.stringify(error.data));
  return { content: [{ type: "text", text: lines.join("\n") }], isError: true };
}
