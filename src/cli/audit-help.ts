import { AUDIT_DECISIONS } from "../audit/audit-query.js";
import { TOOL_NAMES } from "../tools/tool-names.js";
import { defaultAuditPath } from "./paths.js";

/** The actions of `ccmux audit`. */
export const AUDIT_ACTIONS = ["show", "tail", "summary", "verify"] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const FILTERS = `Filters (all given must hold; an unknown value is refused, and the valid ones listed):
  --since 2h|30m|90s|7d|ISO  records at or after this time (a duration back from now, or a date/time)
  --until 2h|ISO             records at or before this time
  --tool T                   one tool: ${TOOL_NAMES.join(", ")}, or a name in the log
  --decision D               ${AUDIT_DECISIONS.join(", ")} (deny: refused by the policy; error: failed)
  --code CODE                one error code (README: "Error codes"), e.g. COMMAND_NOT_ALLOWED
  --pane ID                  one pane: its whole id or any prefix of exactly one (the calls that named it too)
  --session S                server runs: an id (shown whole in the table) or a prefix of some`;

const LOG = `The log: --file PATH, else the policy's audit.path (--config FILE, else ~/.config/ccmux/ccmux.json; ./ccmux.json only when named), else ${defaultAuditPath()}.`;

/** `ccmux audit --help`: every action in one screen (what `ccmux audit` with no action prints too). */
export const AUDIT_USAGE = `Usage:
  ccmux audit show    [filters] [--json]   records, oldest first (--json: one JSON record per line)
  ccmux audit tail    [filters] [-n N] [-f] the last N records (default 20); -f follows new ones
  ccmux audit summary [filters] [--json]   counts by tool, decision and code; refused commands; panes; alerts
  ccmux audit verify  [--json]             check the hash chain across rotated files; exit 1 at the first break
${FILTERS}
${LOG}
Each action has its own help: ccmux audit show --help.`;

const TABLE = `The table: TIME (UTC), SEQ, SESSION (server run), ORIGIN (agent: a tool call and what it caused;
person: someone at ccmux attach; blank: the server's own), EVENT (call, outcome, exit, start, stop, evict,
security, summary), TOOL, DECISION, CODE, PANE (whole id), DETAIL (the command or text the agent sent; for a
refused or failed call, then "refused:" or "failed:" and the reason the agent was given).`;

const ACTION_HELP: Record<AuditAction, string> = {
  show: `Usage: ccmux audit show [filters] [--json] [--file PATH | --config FILE]
Prints the log's records, oldest first, rotated files included.
  --json   one whole JSON record per line (for jq), instead of the table
${TABLE}
${FILTERS}
${LOG}
Exit: 0; 2 for a bad option or filter value.`,
  tail: `Usage: ccmux audit tail [filters] [-n N] [-f] [--json] [--file PATH | --config FILE]
Prints the last N records that pass the filters (default 20).
  -n N, --lines N  how many (0: none, useful with -f)
  -f, --follow     then print new records as servers append them, across rotations, until stopped (Ctrl-C)
  --json           one whole JSON record per line, instead of the table
${TABLE}
${FILTERS}
${LOG}
Exit: 0; 2 for a bad option or filter value.`,
  summary: `Usage: ccmux audit summary [filters] [--json] [--file PATH | --config FILE]
Counts what happened: records and server runs, the hash chain's state, calls by tool and by decision, error
codes, the most refused commands, the panes touched and the security alerts.
  --json   the counts as one JSON object (no chain state)
${FILTERS}
${LOG}
Exit: 0; 2 for a bad option or filter value.`,
  verify: `Usage: ccmux audit verify [--json] [--file PATH | --config FILE]
Checks the hash chain across the log and its rotated files: every record's hash, that sequence numbers run on,
that each rotated file continues the one before. Reports the first break (file, line, sequence, why).
  --json   the result as one JSON object
${LOG}
Exit: 0 intact; 1 broken (edited, deleted, reordered or cut records); 2 no log, or a bad option.`,
};

/** The help for one action (`ccmux audit show --help`), or for all of them when `action` is not one. */
export function auditHelp(action: string | undefined): string {
  return isAuditAction(action) ? ACTION_HELP[action] : AUDIT_USAGE;
}

export function isAuditAction(action: string | undefined): action is AuditAction {
  return (AUDIT_ACTIONS as readonly (string | undefined)[]).includes(action);
}
