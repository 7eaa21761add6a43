import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { CcmuxError } from "../errors.js";
import { sanitizeDeep, sanitizeLine } from "./agent-text.js";

/**
 * A successful result: structured content plus the same as JSON text for clients that only read text.
 * Security: pane- and agent-chosen strings (file names, titles, paths echoed back) reach the agent and the
 * person's terminal; every string is sanitized here, the one place every result is built.
 */
export function okResult(structured: Record<string, unknown>): CallToolResult {
  const safe = sanitizeDeep(structured);
  return { content: [{ type: "text", text: JSON.stringify(safe) }], structuredContent: safe };
}

/**
 * A refusal or failure: first line `CODE: sentence`, then the error's public data as JSON when it has any.
 * Security: the message is kept to one sanitized line, so an echoed name holding a newline and a JSON line
 * cannot forge a second `data` line; every string of the data is sanitized too.
 */
export function errorResult(error: CcmuxError): CallToolResult {
  const lines = [`${error.code}: ${sanitizeLine(error.message)}`];
  if (Object.keys(error.data).length > 0) lines.push(JSON.stringify(sanitizeDeep(error.data)));
  return { content: [{ type: "text", text: lines.join("\n") }], isError: true };
}
