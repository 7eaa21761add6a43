import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { AuditRecord } from "../audit/audit-log.js";
import type { ToolDeps } from "./tool-deps.js";

/** JSON-RPC 2.0's codes for a frame that is not JSON, and for JSON that is not a JSON-RPC message. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

/**
 * Answers every frame the transport could not read, instead of dropping it unanswered and unaudited (the MCP
 * SDK's stdio transport reports it to `onerror` and goes on): a line that is not JSON gets JSON-RPC's parse error
 * (-32700), JSON that is not a JSON-RPC message gets invalid request (-32600), both with id null as JSON-RPC says
 * when the id cannot be known, and `data.code` INVALID_ARGUMENT. Each is audited as a refused call within the
 * connection's audit budget (past it, folded into its summary). Set before `server.connect(transport)`, which
 * keeps this handler and calls its own after it.
 */
export function answerMalformedFrames(
  transport: Transport,
  deps: Pick<ToolDeps, "audit" | "connection">,
  /** The size of a frame dropped for its length (the input's LineLimit), in the order they came. */
  oversized?: { take(): number | undefined; limit: number },
): void {
  transport.onerror = (error) => {
    const kind = malformedKind(error);
    if (kind === undefined) return;
    const bytes = kind === "jsonrpc" ? oversized?.take() : undefined;
    const reason =
      bytes !== undefined
        ? `a frame of ${bytes} bytes, over the limit of ${oversized?.limit} bytes`
        : kind === "json"
          ? "a frame that is not JSON"
          : "a JSON frame that is not a JSON-RPC message";
    recordRefusal(deps, {
      event: "call",
      decision: "deny",
      origin: "agent",
      connection: deps.connection.id,
      code: "INVALID_ARGUMENT",
      reason,
    });
    const answer = {
      jsonrpc: "2.0",
      id: null,
      error: {
        code: kind === "json" ? PARSE_ERROR : INVALID_REQUEST,
        message: `INVALID_ARGUMENT: ${reason}; nothing was done.`,
        data: { code: "INVALID_ARGUMENT" },
      },
    };
    // The id is null, which the SDK's message type does not allow for; JSON-RPC 2.0 requires it here.
    transport.send(answer as unknown as JSONRPCMessage).catch(() => {});
  };
}

/** "json": the line did not parse; "jsonrpc": it parsed but is no JSON-RPC message; undefined: another error. */
function malformedKind(error: Error): "json" | "jsonrpc" | undefined {
  if (error instanceof SyntaxError) return "json";
  if (error.name === "ZodError") return "jsonrpc";
  return undefined;
}

function recordRefusal(deps: Pick<ToolDeps, "audit" | "connection">, record: AuditRecord): void {
  const budget = deps.connection.auditBudget;
  try {
    const verdict = budget.verdict(record);
    if (verdict.write) budget.charge(deps.audit.write(record, verdict.maxBytes));
    else budget.fold(record);
  } catch (error) {
    console.error(`ccmux: a malformed frame could not be audited: ${(error as Error).message}`);
  }
}
