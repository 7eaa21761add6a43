import {
  AUDIT_DECISIONS,
  type AuditFilter,
  type LoggedRecord,
  parseTimeBound,
  resolvePane,
} from "../audit/audit-query.js";
import { ERROR_CODES } from "../errors.js";
import { TOOL_NAMES } from "../tools/tool-names.js";

/** The filter options of `ccmux audit show|tail|summary`, as given on the command line. */
export interface AuditFilterOptions {
  since?: string;
  until?: string;
  tool?: string;
  decision?: string;
  pane?: string;
  code?: string;
  session?: string;
}

/**
 * The filter the options ask for, checked against what a record can hold and what `records` (the whole log)
 * holds, so that a mistyped value is refused instead of matching nothing:
 * - `--decision`: allow, deny, error or info;
 * - `--tool`, `--code`: a tool name or error code ccmux knows, or one found in the log (an agent's unknown
 *   tool, an older version's code); a value that differs only in case is taken as that one;
 * - `--pane`: a whole pane id or a prefix of exactly one (resolvePane);
 * - `--session`: a prefix of at least one server run's id in the log (it may match several);
 * - `--since`, `--until`: parseTimeBound.
 * Throws an Error whose message names the option, the value and the valid values.
 */
export function auditFilter(options: AuditFilterOptions, records: readonly LoggedRecord[]): AuditFilter {
  const filter: AuditFilter = {};
  if (options.since !== undefined) filter.since = parseTimeBound(options.since);
  if (options.until !== undefined) filter.until = parseTimeBound(options.until);
  if (options.decision !== undefined) filter.decision = oneOf("decision", options.decision, AUDIT_DECISIONS);
  if (options.tool !== undefined) {
    filter.tool = oneOf("tool", options.tool, TOOL_NAMES, logged(records, "tool"));
  }
  if (options.code !== undefined)
    filter.code = oneOf("code", options.code, ERROR_CODES, logged(records, "code"));
  if (options.pane !== undefined) filter.pane = resolvePane(records, options.pane);
  if (options.session !== undefined)
    filter.session = knownSession(options.session, logged(records, "session"));
  return filter;
}

/** The distinct string values of `field` in the log's records, beyond those ccmux knows. */
function logged(records: readonly LoggedRecord[], field: string): string[] {
  const values = new Set<string>();
  for (const { record } of records) {
    const value = record[field];
    if (typeof value === "string") values.add(value);
  }
  return [...values];
}

function oneOf(
  option: string,
  given: string,
  known: readonly string[],
  inLog: readonly string[] = [],
): string {
  const all = [...new Set([...known, ...inLog])];
  if (all.includes(given)) return given;
  const folded = all.filter((value) => value.toLowerCase() === given.toLowerCase());
  if (folded.length === 1) return folded[0] as string;
  const extra = inLog.filter((value) => !known.includes(value));
  throw new Error(
    `unknown --${option} "${given}": use one of ${known.join(", ")}${
      extra.length === 0 ? "" : ` (or, found in this log: ${extra.slice(0, 10).map(shorten).join(", ")})`
    }`,
  );
}

function knownSession(given: string, sessions: readonly string[]): string {
  if (sessions.some((session) => session.startsWith(given))) return given;
  const sorted = [...sessions].sort();
  throw new Error(
    sessions.length === 0
      ? `--session "${given}": this log holds no server run`
      : `--session "${given}": no server run's id in this log starts so; the log holds ${sorted
          .slice(0, 5)
          .map(shorten)
          .join(", ")}${sorted.length > 5 ? ` and ${sorted.length - 5} more` : ""}`,
  );
}

// Values from the log can be whatever an agent sent: cut here, sanitized where printed.
const shorten = (value: string): string => (value.length > 40 ? `${value.slice(0, 39)}…` : value);
