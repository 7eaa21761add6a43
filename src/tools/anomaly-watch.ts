import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { AuditRecord } from "../audit/audit-log.js";
import { sanitizeLine } from "./agent-text.js";
import type { ToolDeps } from "./tool-deps.js";

/**
 * The anomaly rules and the probing brake as the call pipeline meets them (seed §6.2): a gate before a call
 * runs, and a look at every decided call after it, which writes `security` records, warns the person,
 * alerts the client, and says how long to hold a refused answer back.
 */

/** Sends an MCP logging notification to this call's client. */
export type AlertSink = (level: "notice" | "warning" | "alert", data: Record<string, unknown>) => void;

const LEVELS = { low: "notice", medium: "warning", high: "alert" } as const;

/**
 * Before a call runs: throws ANOMALY_BLOCKED while a rule blocks it (lateral movement: a further pane not its
 * own; probing: acting, or any pane not its own). `pane` is set only for a pane not this connection's own.
 */
export function gateCall(deps: ToolDeps, tool: string, pane: string | undefined): void {
  // Security: anomaly rules (seed §6.2) stop a probing or roaming connection before anything runs.
  deps.connection.brake.gate(tool, pane !== undefined);
  deps.connection.anomalies.gate(tool, pane);
}

/** A decided call as the rules need it. */
export interface WatchedCall {
  tool: string;
  args: unknown;
  /** The pane it targeted, when not this connection's own. */
  pane: string | undefined;
  decision: "allow" | "deny" | "error";
  code?: string;
  data?: Readonly<Record<string, unknown>>;
  result: CallToolResult;
}

/**
 * After a call was decided: runs the rules, records and announces their events, and returns how long to hold
 * a refused answer and what to tell the agent once. Never throws (a rule's fault is logged, not answered).
 */
export function watchCall(
  deps: ToolDeps,
  call: WatchedCall,
  io: { record: (record: AuditRecord) => void; alert: AlertSink | undefined },
): { holdMs: number; notice?: string } {
  try {
    const { anomalies, brake } = deps.connection;
    const events = anomalies.observe({
      tool: call.tool,
      ...(call.pane === undefined ? {} : { pane: call.pane }),
      decision: call.decision,
      ...(call.code === undefined ? {} : { code: call.code }),
      args: call.args,
    });
    for (const event of events) announce(deps, call.tool, event, io);
    if (call.decision === "allow") {
      brake.given(paneIdsIn(call.result.structuredContent));
      return { holdMs: 0 };
    }
    if (call.decision !== "deny" || call.code === undefined) return { holdMs: 0 };
    const requested = call.pane;
    const verdict = brake.refused({
      tool: call.tool,
      code: call.code,
      data: call.data ?? {},
      args: call.args,
      ...(requested === undefined ? {} : { paneKnown: brake.wasGiven(requested) }),
    });
    for (const event of verdict.events) announce(deps, call.tool, { rule: "probing", ...event }, io);
    return { holdMs: verdict.holdMs, ...(verdict.notice ? { notice: verdict.notice } : {}) };
  } catch (error) {
    console.error("ccmux: the anomaly rules failed on a call:", error);
    return { holdMs: 0 };
  }
}

/** One rule's event: a `security` audit record, a line on stderr, and a logging notification. */
function announce(
  deps: ToolDeps,
  tool: string,
  event: {
    rule: string;
    severity: "low" | "medium" | "high";
    message: string;
    detail: Record<string, unknown>;
  },
  io: { record: (record: AuditRecord) => void; alert: AlertSink | undefined },
): void {
  try {
    io.record({
      event: "security",
      decision: "info",
      origin: "agent",
      connection: deps.connection.id,
      tool,
      rule: event.rule,
      severity: event.severity,
      reason: event.message,
      detail: event.detail,
    });
  } catch (error) {
    console.error(`ccmux: a security record could not be written: ${(error as Error).message}`);
  }
  // Security: the message names the agent's tool name and arguments; stderr is the person's terminal.
  deps.warn(sanitizeLine(`security (${event.severity}): ${event.rule}: ${event.message}`));
  io.alert?.(LEVELS[event.severity], { rule: event.rule, severity: event.severity, message: event.message });
}

/** Pane ids an allowed result hands the agent: spawn's `pane`, list_panes' `panes[].pane`. */
function paneIdsIn(content: unknown): string[] {
  if (typeof content !== "object" || content === null) return [];
  const record = content as { pane?: unknown; panes?: unknown };
  const ids = typeof record.pane === "string" ? [record.pane] : [];
  if (Array.isArray(record.panes)) {
    for (const entry of record.panes) {
      const pane = (entry as { pane?: unknown } | null)?.pane;
      if (typeof pane === "string") ids.push(pane);
    }
  }
  return ids;
}

/**
 * Holds a refused call's answer back `ms` (the call already did nothing). Ends early when the client cancels:
 * the answer is then dropped, and holding it longer would keep nothing from anyone.
 */
export function holdAnswer(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The refusal with the brake's one-time notice as a second text block (the first line stays `CODE: …`). */
export function withNotice(result: CallToolResult, notice: string): CallToolResult {
  return { ...result, content: [...result.content, { type: "text", text: sanitizeLine(notice) }] };
}
