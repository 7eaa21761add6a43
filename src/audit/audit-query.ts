import { readFileSync } from "node:fs";
import { logFiles } from "./audit-files.js";
import type { AuditDecision } from "./audit-log.js";

/** Every decision a record can carry (AuditRecord.decision), for checking `--decision`. */
export const AUDIT_DECISIONS: readonly AuditDecision[] = ["allow", "deny", "error", "info"];

/** One record as read back, with where it came from. */
export interface LoggedRecord {
  file: string;
  line: number;
  record: Record<string, unknown>;
}

export interface AuditFilter {
  /** Inclusive bounds on the record's time (ms since the epoch). */
  since?: number;
  until?: number;
  tool?: string;
  decision?: string;
  /** A whole pane id (see resolvePane): the records about it, and the calls that named it. */
  pane?: string;
  code?: string;
  /** A prefix of the server run's id. */
  session?: string;
}

/** Every parseable record of the log and its rotated files, oldest first (headers included). */
export function readRecords(path: string): LoggedRecord[] {
  const out: LoggedRecord[] = [];
  for (const file of logFiles(path)) out.push(...recordsIn(file, readFileSync(file, "utf8")));
  return out;
}

/** The records in one file's text; lines that do not parse are skipped (`ccmux audit verify` names them). */
export function recordsIn(file: string, text: string, firstLine = 1): LoggedRecord[] {
  const out: LoggedRecord[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line.length === 0) continue;
    try {
      const record = JSON.parse(line) as unknown;
      if (record !== null && typeof record === "object" && !Array.isArray(record)) {
        out.push({ file, line: firstLine + index, record: record as Record<string, unknown> });
      }
    } catch {
      // torn or edited: verify reports it
    }
  }
  return out;
}

export function matches(record: Record<string, unknown>, filter: AuditFilter): boolean {
  if (record.event === "header") return false;
  const time = typeof record.time === "string" ? Date.parse(record.time) : Number.NaN;
  if (filter.since !== undefined && !(time >= filter.since)) return false;
  if (filter.until !== undefined && !(time <= filter.until)) return false;
  const equal = (key: keyof AuditFilter & string, field: string): boolean =>
    filter[key] === undefined || record[field] === filter[key];
  return (
    equal("tool", "tool") &&
    equal("decision", "decision") &&
    (filter.pane === undefined || paneOfRecord(record) === filter.pane) &&
    equal("code", "code") &&
    (filter.session === undefined || String(record.session ?? "").startsWith(filter.session))
  );
}

/**
 * The pane a record is about: its `pane` field (spawn outcomes, exits, evictions), else the pane its call's
 * arguments named (read_pane, send_keys, …, refused ones included).
 */
export function paneOfRecord(record: Record<string, unknown>): string | undefined {
  if (typeof record.pane === "string") return record.pane;
  const args = record.args;
  if (args !== null && typeof args === "object" && !Array.isArray(args)) {
    const named = (args as Record<string, unknown>).pane;
    if (typeof named === "string") return named;
  }
  return undefined;
}

/**
 * The whole pane id `given` stands for among the panes `records` mention: the id itself, or the one id it is a
 * prefix of (a trailing `…`, as the table cuts long ids, is ignored). Throws when no pane, or more than one,
 * matches: the message lists the candidates.
 */
export function resolvePane(records: readonly LoggedRecord[], given: string): string {
  const prefix = given.replace(/…$/, "");
  const ids = new Set<string>();
  for (const item of records) {
    const pane = paneOfRecord(item.record);
    if (pane !== undefined) ids.add(pane);
  }
  if (prefix.length > 0 && ids.has(prefix)) return prefix;
  const candidates = [...ids].filter((id) => prefix.length > 0 && id.startsWith(prefix)).sort();
  if (candidates.length === 1) return candidates[0] as string;
  // Ids come from the log (an agent can name any pane in a refused call): cut, and the caller sanitizes.
  const cut = (id: string): string => (id.length > 40 ? `${id.slice(0, 39)}…` : id);
  const shown = (list: string[]): string =>
    list.length <= 5
      ? list.map(cut).join(", ")
      : `${list.slice(0, 5).map(cut).join(", ")} and ${list.length - 5} more`;
  if (candidates.length > 1) {
    throw new Error(
      `--pane "${given}" matches ${candidates.length} panes (${shown(candidates)}): give more of the id`,
    );
  }
  throw new Error(
    ids.size === 0
      ? `--pane "${given}": no record in this log names a pane`
      : `--pane "${given}": no pane id in this log starts so; the log names ${shown([...ids].sort())}`,
  );
}

/**
 * A point in time from `--since`/`--until`: a duration back from `now` (`90s`, `30m`, `2h`, `7d`) or anything
 * Date.parse reads (`2026-11-25`, `2026-11-25T14:00:00Z`). Throws on anything else.
 */
export function parseTimeBound(value: string, now = Date.now()): number {
  const duration = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(value.trim());
  if (duration) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as "s" | "m" | "h" | "d"];
    return now - Number(duration[1]) * unit;
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new Error(`not a time or duration: "${value}" (e.g. 2h, 30m, 2026-11-25T14:00Z)`);
  return parsed;
}

export interface AuditSummary {
  records: number;
  from?: string;
  to?: string;
  sessions: number;
  byTool: Record<string, number>;
  byDecision: Record<string, number>;
  byCode: Record<string, number>;
  topRefusedCommands: Array<{ command: string; count: number }>;
  panes: Array<{ pane: string; calls: number }>;
  security: Array<{ rule: string; severity: string; count: number }>;
}

const count = (map: Record<string, number>, key: string): void => {
  map[key] = (map[key] ?? 0) + 1;
};

const top = (map: Map<string, number>, n: number): Array<[string, number]> =>
  [...map.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);

/** What happened, in counts: the person's first look after an agent session. */
export function summarize(records: readonly Record<string, unknown>[]): AuditSummary {
  const summary: AuditSummary = {
    records: records.length,
    sessions: new Set(records.map((r) => r.session)).size,
    byTool: {},
    byDecision: {},
    byCode: {},
    topRefusedCommands: [],
    panes: [],
    security: [],
  };
  const refused = new Map<string, number>();
  const panes = new Map<string, number>();
  const security = new Map<string, number>();
  for (const record of records) {
    if (typeof record.tool === "string" && record.event === "call") count(summary.byTool, record.tool);
    if (typeof record.decision === "string" && record.event === "call")
      count(summary.byDecision, record.decision);
    if (typeof record.code === "string") count(summary.byCode, record.code);
    const command = (record.args as { command?: unknown } | undefined)?.command;
    if (
      (record.tool === "spawn" || record.tool === "run") &&
      record.decision === "deny" &&
      typeof command === "string"
    ) {
      refused.set(command, (refused.get(command) ?? 0) + 1);
    }
    if (typeof record.pane === "string" && record.event === "call") {
      panes.set(record.pane, (panes.get(record.pane) ?? 0) + 1);
    }
    if (record.event === "security") {
      const key = `${String(record.rule)}\u0000${String(record.severity)}`;
      security.set(key, (security.get(key) ?? 0) + 1);
    }
  }
  const times = records.map((r) => r.time).filter((t): t is string => typeof t === "string");
  if (times.length > 0) {
    summary.from = times[0];
    summary.to = times.at(-1);
  }
  summary.topRefusedCommands = top(refused, 10).map(([command, n]) => ({ command, count: n }));
  summary.panes = top(panes, 20).map(([pane, calls]) => ({ pane, calls }));
  summary.security = top(security, 50).map(([key, n]) => {
    const [rule = "", severity = ""] = key.split("\u0000");
    return { rule, severity, count: n };
  });
  return summary;
}
