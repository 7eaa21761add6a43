import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { Protocol } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  type CallToolResult,
  ListToolsRequestSchema,
  type ToolAnnotations,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { AuditRecord } from "../audit/audit-log.js";
import { CcmuxError, isCcmuxError } from "../errors.js";
import { sanitizeDeep } from "./agent-text.js";
import { type AlertSink, gateCall, holdAnswer, watchCall, withNotice } from "./anomaly-watch.js";
import { argsShapeOverBound, digestJson, MAX_ARGS_DEPTH, MAX_ARGS_NODES } from "./args-bound.js";
import type { ToolDeps } from "./tool-deps.js";
import { errorResult, okResult } from "./tool-result.js";
import { UnknownToolError } from "./unknown-tool-error.js";

/** What a handler gets besides its parsed input. */
export interface CallContext {
  readonly deps: ToolDeps;
  readonly signal: AbortSignal;
  /**
   * Writes the `allow` record for this call. Handlers that act (start a process, type, kill) call it right
   * before acting, so a call whose record cannot be written never acts (fail closed).
   */
  allow(fields?: Partial<AuditRecord>): void;
  /** Facts learned while acting (pane, pid), written in an `outcome` record after the call. */
  note(fields: Partial<AuditRecord>): void;
  /** Sends a progress notification when the client asked for them; otherwise does nothing. */
  progress(progress: number, total?: number, message?: string): void;
}

export interface ToolSpec<Input extends z.ZodType, Output extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: Input;
  output: Output;
  annotations: ToolAnnotations;
  handler(input: z.output<Input>, ctx: CallContext): Promise<z.output<Output>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds tools of every input/output type
type AnyToolSpec = ToolSpec<any, any>;

/** tools/call with any params: validation happens in the pipeline, where it is audited. */
const LooseCallToolRequest = z.object({ method: z.literal("tools/call"), params: z.unknown().optional() });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const ERROR_DECISION_CODES: ReadonlySet<string> = new Set(["INTERNAL", "SPAWN_FAILED", "AUDIT_UNAVAILABLE"]);

/**
 * Serves tools/list and tools/call. Unlike the SDK's McpServer, every call — including an unknown tool or
 * arguments that fail the schema — goes through one pipeline: rate limit, strict parse, handler, and exactly
 * one decision record in the audit log, so bad input is answered with a stable code and is audited.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, AnyToolSpec>();
  private summaryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ToolDeps) {}

  add<Input extends z.ZodType, Output extends z.ZodObject>(spec: ToolSpec<Input, Output>): void {
    this.tools.set(spec.name, spec as AnyToolSpec);
  }

  attach(server: Server): void {
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [...this.tools.values()].map((tool) => ({
        name: tool.name,
        title: tool.title,
        description: tool.description,
        inputSchema: jsonSchemaOf(tool.input, "input"),
        outputSchema: jsonSchemaOf(tool.output, "output"),
        annotations: tool.annotations,
      })),
    }));
    // Security: the SDK's own tools/call schema would answer a malformed call (name not a string, arguments
    // not an object) with a bare JSON-RPC error before our pipeline sees it: no code, no audit record, no
    // rate-limit charge. A loose schema hands every call to the pipeline, which refuses it properly.
    // Server.setRequestHandler re-wraps tools/call with that same strict schema, so the generic Protocol method
    // registers ours (tests pin this: a malformed call gets our code and an audit record).
    Protocol.prototype.setRequestHandler.call(server, LooseCallToolRequest, (request, extra) => {
      const params = isRecord(request.params) ? request.params : {};
      const meta = isRecord(params._meta) ? params._meta : {};
      const token = meta.progressToken;
      return this.call(
        typeof params.name === "string" ? params.name : String(params.name ?? ""),
        params.arguments,
        {
          signal: extra.signal,
          // Security: notifications reach the agent and the person's terminal like results do: sanitized here.
          alert: (level, data) => {
            void extra
              .sendNotification({
                method: "notifications/message",
                params: { level, logger: "ccmux", data: sanitizeDeep(data) },
              })
              .catch(() => {});
          },
          progress: (progress, total, message) => {
            if (typeof token !== "string" && typeof token !== "number") return;
            void extra
              .sendNotification({
                method: "notifications/progress",
                params: { progressToken: token, progress, total, message: sanitizeDeep(message) },
              })
              .catch(() => {});
          },
        },
      );
    });
  }

  /**
   * Runs one call through the pipeline. Every refusal and failure becomes an error result, except a tool name
   * this server does not have: MCP makes that a protocol error, so it throws UnknownToolError (JSON-RPC -32602)
   * once the call is audited and observed like any other refusal.
   */
  async call(
    name: string,
    rawArgs: unknown,
    io: { signal: AbortSignal; progress: CallContext["progress"]; alert?: AlertSink },
  ): Promise<CallToolResult> {
    // Person panes start on first use: the first call of any kind, before it runs (it may name one of them).
    await this.deps.startPersonPanes();
    // Security: arguments nested 20 000 deep overflowed the stack in redaction (JSON-RPC -32603, no record).
    // The bound is checked iteratively before anything walks them; past it only their size and digest go on.
    const over = argsShapeOverBound(rawArgs);
    const args = over ?? rawArgs;
    // Lateral movement is about panes that are not this connection's own (see AnomalyDetector).
    const pane = over ? undefined : await this.foreignPane(paneOf(rawArgs));
    const decided = await this.decide(name, rawArgs, over, io, pane);
    // Calls the anomaly gate refused are not observed again: a blocked connection cannot extend its own block.
    if (!decided.gated) {
      if (decided.unknownTool) throw new UnknownToolError(decided.result);
      return decided.result;
    }
    const { holdMs, notice } = watchCall(
      this.deps,
      { tool: name, args, pane, ...decided },
      { record: (record) => this.record(record), alert: io.alert },
    );
    // Security: a connection that keeps being refused gets its refusals answered one at a time, slowMs apart
    // (probing the policy by trial and error); allowed calls are never held back.
    if (holdMs > 0) await holdAnswer(holdMs, io.signal);
    if (decided.unknownTool) throw new UnknownToolError(decided.result);
    return notice === undefined ? decided.result : withNotice(decided.result, notice);
  }

  /**
   * Writes one of this connection's records within its audit budget: whole, or — a refusal past the budget —
   * folded into the connection's next `summary` record. Throws AUDIT_UNAVAILABLE like AuditLog.write.
   */
  private record(record: AuditRecord): void {
    const budget = this.deps.connection.auditBudget;
    const verdict = budget.verdict(record);
    if (!verdict.write && verdict.refuseForMs !== undefined) {
      throw new CcmuxError(
        "RATE_LIMITED",
        `This connection's audit log budget is spent: retry after ${verdict.refuseForMs} ms.`,
        { data: { retryAfterMs: verdict.refuseForMs, auditBytesPerMinute: budget.bytesPerMinute } },
      );
    }
    if (!verdict.write) {
      if (budget.fold(record)) this.writeSummary();
      // A flood that stops is still accounted for within a minute, even if nothing follows it.
      this.summaryTimer ??= setTimeout(() => {
        this.summaryTimer = undefined;
        try {
          this.writeSummary();
        } catch (error) {
          console.error(`ccmux: a summary record could not be written: ${(error as Error).message}`);
        }
      }, SUMMARY_AFTER_MS).unref();
      return;
    }
    this.writeSummary();
    budget.charge(this.deps.audit.write(record, verdict.maxBytes));
  }

  /** Writes what was folded since the last summary, if anything. */
  private writeSummary(): void {
    const budget = this.deps.connection.auditBudget;
    const summary = budget.takeSummary(this.deps.connection.id);
    if (summary) budget.charge(this.deps.audit.write(summary));
  }

  /** `pane` unless this connection's session spawned it. */
  private async foreignPane(pane: string | undefined): Promise<string | undefined> {
    if (pane === undefined) return undefined;
    const owner = (await this.deps.host.info(pane))?.owner;
    return owner?.kind === "agent" && owner.session === this.deps.session ? undefined : pane;
  }

  private async decide(
    name: string,
    rawArgs: unknown,
    over: OverBound | null,
    io: { signal: AbortSignal; progress: CallContext["progress"] },
    pane: string | undefined,
  ): Promise<Decided> {
    let gated = false;
    const base: AuditRecord = {
      event: "call",
      decision: "allow",
      origin: "agent",
      connection: this.deps.connection.id,
      ...(this.deps.session === this.deps.connection.id ? {} : { agentSession: this.deps.session }),
      tool: name,
    };
    let decided = false;
    let unknownTool = false;
    let noted: Partial<AuditRecord> = {};
    const audit = (record: AuditRecord): void => this.record(record);
    try {
      const tool = this.tools.get(name);
      base.args = over ?? rawArgs;
      // Security: a flood of calls (seed §6.2) is refused before any parsing or pane work.
      this.deps.connection.rateLimit.take();
      // Arguments past the bound: their digest walks all of them, so only for a call within the rate limit.
      if (over) base.args = { ...over, ...digestJson(rawArgs) };
      gateCall(this.deps, name, pane);
      gated = true;
      if (!tool) {
        unknownTool = true;
        throw new CcmuxError(
          "INVALID_ARGUMENT",
          `Unknown tool "${truncate(name)}"; tools/list names the tools.`,
        );
      }
      if (over) throw overBound(over);
      const parsed = (tool.input as z.ZodType).safeParse(rawArgs ?? {});
      if (!parsed.success) {
        throw new CcmuxError("INVALID_ARGUMENT", describeIssues(parsed.error), {
          data: {
            issues: parsed.error.issues.map((issue) => ({
              path: issue.path.join("."),
              message: issue.message,
            })),
          },
        });
      }
      // A call the client cancelled before it started does not start.
      if (io.signal.aborted) throw cancelled();
      const ctx: CallContext = {
        deps: this.deps,
        signal: io.signal,
        progress: io.progress,
        allow: (fields) => {
          audit({ ...base, ...fields, decision: "allow" });
          decided = true;
        },
        note: (fields) => {
          noted = { ...noted, ...fields };
        },
      };
      const output = await tool.handler(parsed.data, ctx);
      if (!decided) audit({ ...base, ...noted, decision: "allow" });
      else if (Object.keys(noted).length > 0)
        audit({ ...base, ...noted, event: "outcome", decision: "allow", args: undefined });
      return { result: okResult(output), decision: "allow", gated };
    } catch (thrown) {
      const error = toCcmuxError(thrown);
      const decision = ERROR_DECISION_CODES.has(error.code) ? "error" : "deny";
      try {
        audit({
          ...base,
          ...noted,
          ...(decided ? { event: "outcome", args: undefined } : {}),
          decision,
          code: error.code,
          reason: error.message,
          detail: Object.keys(error.data).length > 0 ? error.data : undefined,
        });
      } catch (auditError) {
        const unavailable = toCcmuxError(auditError);
        return { result: errorResult(unavailable), decision: "error", code: unavailable.code, gated };
      }
      return { result: errorResult(error), decision, code: error.code, data: error.data, gated, unknownTool };
    }
  }
}

/** How soon records folded past the audit budget are written as a summary when no other record follows. */
const SUMMARY_AFTER_MS = 60_000;

/** The pane a call targets, when its arguments name one. */
function paneOf(args: unknown): string | undefined {
  const pane = isRecord(args) ? args.pane : undefined;
  return typeof pane === "string" && pane.length <= 64 ? pane : undefined;
}

/** A call's answer and how it was decided (what the audit record says), for the anomaly rules. */
interface Decided {
  result: CallToolResult;
  decision: "allow" | "deny" | "error";
  code?: string;
  /** The refusal's data, for the probing brake. */
  data?: Readonly<Record<string, unknown>>;
  /** The call got past the anomaly gate (it was not refused by the rules themselves). */
  gated: boolean;
  /** Refused because no tool has that name: answered as a protocol error (UnknownToolError). */
  unknownTool?: boolean;
}

/** The error of a call the client cancelled before it did anything (CANCELLED). */
export function cancelled(): CcmuxError {
  return new CcmuxError("CANCELLED", "The client cancelled the call before it ran; nothing was done.");
}

/** What the shape check says of arguments past the bound. */
type OverBound = NonNullable<ReturnType<typeof argsShapeOverBound>>;

function overBound(over: OverBound): CcmuxError {
  const why =
    over.unlogged === "too-deep"
      ? `nest deeper than ${MAX_ARGS_DEPTH} levels`
      : `hold more than ${MAX_ARGS_NODES} values`;
  return new CcmuxError("INVALID_ARGUMENT", `The arguments ${why}; nothing was parsed.`, {
    data: { maxDepth: MAX_ARGS_DEPTH, maxValues: MAX_ARGS_NODES },
  });
}

function toCcmuxError(thrown: unknown): CcmuxError {
  if (isCcmuxError(thrown)) return thrown;
  console.error("ccmux: unexpected error in a tool call:", thrown);
  return new CcmuxError("INTERNAL", "An unexpected error occurred; nothing further was done.", {
    cause: thrown,
  });
}

function describeIssues(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return "The arguments are not valid.";
  const where = first.path.length > 0 ? `${first.path.join(".")}: ` : "";
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : "";
  return `Invalid arguments: ${where}${first.message}${more}.`;
}

function jsonSchemaOf(schema: z.ZodType, io: "input" | "output") {
  const json = z.toJSONSchema(schema, { io, target: "draft-7", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json as { type: "object"; [key: string]: unknown };
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
