import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import { logFiles } from "../audit/audit-files.js";
import {
  type AuditFilter,
  type LoggedRecord,
  matches,
  readRecords,
  recordsIn,
  summarize,
} from "../audit/audit-query.js";
import { verifyLog } from "../audit/audit-verify.js";
import { sanitizeText } from "../panes/sanitize.js";
import { type AuditFilterOptions, auditFilter } from "./audit-filter.js";
import { AUDIT_USAGE, auditHelp } from "./audit-help.js";
import { AUDIT_TABLE_HEADER, auditRow, clean } from "./audit-table.js";
import { defaultAuditPath } from "./paths.js";
import { loadPolicy } from "./policy-file.js";
import { findPolicy } from "./policy-location.js";

export { AUDIT_ACTIONS, auditHelp, isAuditAction } from "./audit-help.js";
export { AUDIT_USAGE };

export interface AuditOptions extends AuditFilterOptions {
  action: string | undefined;
  /** Print the action's help (auditHelp) to stdout and exit 0. */
  help?: boolean;
  file?: string;
  config?: string;
  json?: boolean;
  follow?: boolean;
  lines?: string;
}

/**
 * `ccmux audit …`: review the log. Exit 0, 1 (verify found a break), 2 (usage, an unknown filter value, an
 * ambiguous or unknown pane, or an unreadable log). Errors go to stderr as one sanitized line.
 */
export async function auditCommand(options: AuditOptions): Promise<number> {
  if (options.help) {
    process.stdout.write(`${auditHelp(options.action)}\n`);
    return 0;
  }
  try {
    const path = logPath(options);
    switch (options.action) {
      case "verify":
        return verify(path, options.json === true);
      case "show": {
        const all = readRecords(path);
        return show(all, auditFilter(options, all), options.json === true);
      }
      case "summary": {
        const all = readRecords(path);
        return summary(path, all, auditFilter(options, all), options.json === true);
      }
      case "tail":
        return await tail(path, options);
      case undefined:
        console.error(AUDIT_USAGE);
        return 2;
      default:
        console.error(`ccmux: unknown audit action "${clean(options.action, 40)}".\n${AUDIT_USAGE}`);
        return 2;
    }
  } catch (error) {
    // Security: the message can quote values from the log (pane ids, tool names an agent sent).
    console.error(`ccmux: ${sanitizeText((error as Error).message)}`);
    return 2;
  }
}

function logPath(options: AuditOptions): string {
  if (options.file !== undefined) return options.file;
  // Security: found as serve finds it, never ./ccmux.json unasked: a pane could plant one naming a forged log.
  const found = findPolicy(options.config);
  if (found.file === undefined) return defaultAuditPath();
  if (found.note !== undefined) console.error(`ccmux: ${found.note}`);
  return loadPolicy(found.file).audit.path;
}

function verify(path: string, json: boolean): number {
  const result = verifyLog(path);
  if (json) {
    process.stdout.write(`${terminalSafeJson(result)}\n`);
  } else if (result.files.length === 0) {
    process.stdout.write(`no audit log at ${path}\n`);
  } else if (result.ok) {
    process.stdout.write(
      `ok: ${result.records} records in ${result.files.length} file(s), seq ${result.firstSeq}–${result.lastSeq}, last hash ${result.lastHash?.slice(0, 16)}…\n`,
    );
  } else {
    const b = result.broken;
    process.stdout.write(
      `BROKEN at ${b?.file}:${b?.line}${b?.seq === undefined ? "" : ` (seq ${b.seq})`}: ${b?.reason}\n(${result.records} records verified before it)\n`,
    );
  }
  for (const note of result.notes) if (!json) process.stdout.write(`note: ${note}\n`);
  return result.ok && result.files.length > 0 ? 0 : result.ok ? 2 : 1;
}

function show(all: readonly LoggedRecord[], filter: AuditFilter, json: boolean): number {
  const records = all.filter((item) => matches(item.record, filter));
  if (json) {
    for (const item of records) process.stdout.write(`${terminalSafeJson(item.record)}\n`);
    return 0;
  }
  process.stdout.write(`${AUDIT_TABLE_HEADER}\n`);
  for (const item of records) process.stdout.write(`${auditRow(item.record)}\n`);
  return 0;
}

function summary(path: string, all: readonly LoggedRecord[], filter: AuditFilter, json: boolean): number {
  const result = summarize(all.filter((item) => matches(item.record, filter)).map((item) => item.record));
  if (json) {
    process.stdout.write(`${terminalSafeJson(result, 2)}\n`);
    return 0;
  }
  const chain = verifyLog(path);
  const lines = [
    `records: ${result.records} from ${result.from ?? "—"} to ${result.to ?? "—"} in ${result.sessions} server run(s)`,
    `chain: ${chain.ok ? `intact (${chain.records} records)` : `BROKEN at ${chain.broken?.file}:${chain.broken?.line}: ${chain.broken?.reason}`}`,
    ...(chain.rotatedAway
      ? [
          `history lost to rotation: seq 1–${chain.rotatedAway.lastSeq} (before ${clean(chain.rotatedAway.keptSince, 40)})`,
        ]
      : []),
    ...(chain.folded > 0
      ? [`refused calls counted in summary records (past a connection's budget): ${chain.folded}`]
      : []),
    `calls by tool: ${pairs(result.byTool)}`,
    `calls by decision: ${pairs(result.byDecision)}`,
    `codes: ${pairs(result.byCode)}`,
    "top refused commands:",
    ...result.topRefusedCommands.map((c) => `  ${String(c.count).padStart(5)}  ${clean(c.command, 100)}`),
    `panes touched: ${result.panes.length}`,
    ...result.panes.map((p) => `  ${String(p.calls).padStart(5)}  ${p.pane}`),
    `alerts: ${result.security.length === 0 ? "none" : ""}`,
    ...result.security.map((s) => `  ${String(s.count).padStart(5)}  ${s.severity}  ${clean(s.rule, 60)}`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

async function tail(path: string, options: AuditOptions): Promise<number> {
  const n = Number(options.lines ?? 20);
  if (!Number.isInteger(n) || n < 0) throw new Error("-n takes a whole number");
  // Following starts from a snapshot taken before anything is read: a record appended meanwhile is printed
  // once, by whichever side sees it first (sequence numbers tell).
  const fd = options.follow ? openSync(path, "r") : -1;
  const offset = fd >= 0 ? fstatSync(fd).size : 0;
  const all = readRecords(path);
  let filter: AuditFilter;
  try {
    filter = auditFilter(options, all);
  } catch (error) {
    if (fd >= 0) closeSync(fd);
    throw error;
  }
  const print = (item: LoggedRecord): void => {
    if (matches(item.record, filter)) {
      process.stdout.write(`${options.json ? terminalSafeJson(item.record) : auditRow(item.record)}\n`);
    }
  };
  const existing = all.filter((item) => matches(item.record, filter));
  if (!options.json) process.stdout.write(`${AUDIT_TABLE_HEADER}\n`);
  for (const item of existing.slice(Math.max(0, existing.length - n))) print(item);
  if (fd < 0) return 0;
  const seqs = all.map((item) => item.record.seq).filter((seq): seq is number => typeof seq === "number");
  await follow(path, print, {
    fd,
    offset,
    lastSeq: seqs.length > 0 ? Math.max(...seqs) : Number.NEGATIVE_INFINITY,
  });
  return 0;
}

/**
 * Prints records as they are appended, across rotations, until the process is stopped. Records are printed in
 * sequence order once each: when the log rotated (perhaps several times between two looks), the rotated files
 * are read for whatever came after the last record printed.
 */
async function follow(
  path: string,
  print: (item: LoggedRecord) => void,
  from: { fd: number; offset: number; lastSeq: number },
): Promise<never> {
  let { fd, offset, lastSeq } = from;
  let pending = "";
  const once = (item: LoggedRecord): void => {
    const seq = typeof item.record.seq === "number" ? item.record.seq : undefined;
    if (seq !== undefined && seq <= lastSeq) return;
    if (seq !== undefined) lastSeq = seq;
    print(item);
  };
  const drain = (): void => {
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, offset);
      if (read <= 0) break;
      offset += read;
      pending += buffer.subarray(0, read).toString("utf8");
    }
    const cut = pending.lastIndexOf("\n");
    if (cut < 0) return;
    for (const item of recordsIn(basename(path), pending.slice(0, cut + 1))) once(item);
    pending = pending.slice(cut + 1);
  };
  for (;;) {
    drain();
    try {
      if (statSync(path).ino !== fstatSync(fd).ino) {
        drain(); // the rest of the file that was rotated away
        // Take the file now at `path` before reading the rotated ones: should it rotate away meanwhile, it is
        // among them, and what was printed from it is skipped when it is read from the start (by sequence).
        const next = openSync(path, "r");
        for (const item of rotatedSince(path, lastSeq)) once(item); // files rotated since
        closeSync(fd);
        fd = next;
        offset = 0;
        pending = "";
        continue;
      }
    } catch {
      // between the rotation's rename steps: try again shortly
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Records after `lastSeq` in the rotated files (`path.1`, `path.2`, … back to the one holding `lastSeq`). */
function rotatedSince(path: string, lastSeq: number): LoggedRecord[] {
  const newestFirst = logFiles(path)
    .filter((file) => file !== path)
    .reverse();
  const found: LoggedRecord[][] = [];
  for (const file of newestFirst) {
    const records = recordsIn(file, readFileSync(file, "utf8"));
    found.unshift(records);
    const first = records[0]?.record.seq;
    if (typeof first !== "number" || first <= lastSeq) break;
  }
  return found.flat();
}

function pairs(map: Record<string, number>): string {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
  // Security: tool names and codes in the log can be whatever an agent sent.
  return entries.length === 0 ? "—" : entries.map(([key, n]) => `${clean(key, 40)} ${n}`).join(", ");
}

/**
 * JSON for a terminal: what JSON.stringify leaves raw and a terminal would act on — DEL, C1 controls, bidi
 * and invisible characters — written as \u escapes (still the same JSON).
 */
function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
