import { paneOfRecord } from "../audit/audit-query.js";
import { sanitizeText } from "../panes/sanitize.js";

/** Column widths: a session id is `s-` and 12 hex digits, a pane id `p-` and 16 characters; both fit whole. */
const WIDTH = {
  seq: 7,
  session: 14,
  origin: 6,
  event: 9,
  tool: 11,
  decision: 8,
  code: 24,
  pane: 18,
} as const;

/** The header line of the table `ccmux audit show` and `tail` print. */
export const AUDIT_TABLE_HEADER = [
  "TIME".padEnd(20),
  "SEQ".padEnd(WIDTH.seq),
  "SESSION".padEnd(WIDTH.session),
  "ORIGIN".padEnd(WIDTH.origin),
  "EVENT".padEnd(WIDTH.event),
  "TOOL".padEnd(WIDTH.tool),
  "DECISION".padEnd(WIDTH.decision),
  "CODE".padEnd(WIDTH.code),
  "PANE".padEnd(WIDTH.pane),
  "DETAIL",
].join(" ");

/**
 * One record as a table row: the pane the record is about or the call named, whole (longer ids are cut, and
 * `--pane` takes the part shown); the detail is what was asked and, for a refused (`deny`) or failed (`error`)
 * call, why, as the agent was told. Security: everything from the log is sanitized and cut — the agent wrote
 * much of it, and the row goes to the person's terminal.
 */
export function auditRow(record: Record<string, unknown>): string {
  const time = typeof record.time === "string" ? record.time.replace("T", " ").slice(0, 19) : "";
  return [
    time.padEnd(20),
    String(record.seq ?? "").padEnd(WIDTH.seq),
    clean(record.session, WIDTH.session).padEnd(WIDTH.session),
    clean(record.origin, WIDTH.origin).padEnd(WIDTH.origin),
    clean(record.event, WIDTH.event).padEnd(WIDTH.event),
    clean(record.tool, WIDTH.tool).padEnd(WIDTH.tool),
    clean(record.decision, WIDTH.decision).padEnd(WIDTH.decision),
    clean(record.code, WIDTH.code).padEnd(WIDTH.code),
    clean(paneOfRecord(record), WIDTH.pane).padEnd(WIDTH.pane),
    detail(record),
  ].join(" ");
}

function detail(record: Record<string, unknown>): string {
  const args = (record.args ?? {}) as Record<string, unknown>;
  const asked = args.command ?? args.text ?? (Array.isArray(args.keys) ? args.keys.join(" ") : undefined);
  const what =
    asked === undefined ? "" : clean(typeof asked === "string" ? asked : JSON.stringify(asked), 100);
  if (record.event === "exit") {
    if (typeof record.signal === "number") return `ended by signal ${record.signal}`;
    if (typeof record.exitCode === "number") return `exit code ${record.exitCode}`;
  }
  const refused = record.decision === "deny" ? "refused" : record.decision === "error" ? "failed" : undefined;
  if (refused !== undefined && typeof record.reason === "string") {
    const why = `${refused}: ${clean(record.reason, 160)}`;
    return what === "" ? why : `${clean(what, 60)} — ${why}`;
  }
  if (what !== "") return what;
  return clean(record.reason ?? "", 100);
}

/** A log value for one line of the terminal: sanitized, whitespace folded, cut at `max` characters. */
export function clean(value: unknown, max: number): string {
  if (value === undefined || value === null) return "";
  const text = sanitizeText(String(value)).replace(/\s+/g, " ");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
