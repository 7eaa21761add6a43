import { readFileSync } from "node:fs";
import { type ChainState, GENESIS, recordHash } from "./audit-chain.js";
import { logFiles, setAside } from "./audit-files.js";

export interface ChainBreak {
  file: string;
  /** 1-based line number in that file. */
  line: number;
  /** The record's sequence number, when the line parses. */
  seq?: number;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  files: string[];
  records: number;
  firstSeq?: number;
  lastSeq?: number;
  lastHash?: string;
  broken?: ChainBreak;
  /** Facts that are not breaks: e.g. the oldest files were rotated away. */
  notes: string[];
  /**
   * History lost to rotation: the oldest kept file continues a chain whose records up to `lastSeq` are gone;
   * `keptSince` is when that file began (ISO time), so everything before it is lost.
   */
  rotatedAway?: { lastSeq: number; keptSince: string };
  /** Refused calls counted in `summary` records (past a connection's audit budget) instead of one by one. */
  folded: number;
}

interface Chained {
  v?: unknown;
  seq?: unknown;
  event?: unknown;
  prev?: unknown;
  hash?: unknown;
  continues?: { seq?: unknown; hash?: unknown } | null;
}

/**
 * Checks the whole chain across the log and its rotated files, oldest first, and names the first record that
 * breaks it: a line that does not parse (torn or cut), a hash that does not match the contents (edited), a
 * sequence gap or a link to the wrong previous hash (deleted, inserted or reordered), a file that does not start
 * with a header continuing the file before it (a file missing or replaced).
 */
export function verifyLog(path: string): VerifyResult {
  const files = logFiles(path);
  const result: VerifyResult = { ok: true, files, records: 0, notes: [], folded: 0 };
  for (const aside of setAside(path)) {
    result.notes.push(
      `${aside} is not part of the chain (an older log set aside, or a rotation that did not finish)`,
    );
  }
  let state: ChainState | null = null;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const lines = text.split("\n");
    const complete = text.endsWith("\n") ? lines.slice(0, -1) : lines;
    for (const [index, line] of complete.entries()) {
      const at = { file, line: index + 1 };
      const fail = (reason: string, seq?: number): VerifyResult => ({
        ...result,
        ok: false,
        broken: { ...at, ...(seq === undefined ? {} : { seq }), reason },
      });
      if (index === complete.length - 1 && !text.endsWith("\n"))
        return fail("the last line is cut short (torn)");
      let record: Chained & Record<string, unknown>;
      try {
        record = JSON.parse(line) as Chained & Record<string, unknown>;
      } catch {
        return fail("the line is not a JSON record (cut or edited)");
      }
      const seq = typeof record.seq === "number" ? record.seq : undefined;
      if (record.v !== 2 || seq === undefined || typeof record.hash !== "string")
        return fail("the line is not a chained record", seq);
      if (recordHash(record) !== record.hash)
        return fail("the record's hash does not match its contents (edited)", seq);
      if (index === 0) {
        if (record.event !== "header") return fail("the file does not start with a header", seq);
        const continues = record.continues ?? null;
        if (state === null) {
          if (continues !== null) {
            const lostSeq = typeof continues.seq === "number" ? continues.seq : (seq ?? 1) - 1;
            const keptSince = typeof record.time === "string" ? record.time : "?";
            result.rotatedAway = { lastSeq: lostSeq, keptSince };
            result.notes.push(
              `history lost to rotation: records seq 1–${lostSeq} (everything before ${keptSince}) were rotated away`,
            );
            if (record.prev !== continues.hash)
              return fail("the header's link does not match what it continues", seq);
          } else if (record.prev !== GENESIS) {
            return fail("the first header does not start a chain", seq);
          }
        } else if (continues === null || continues.hash !== state.hash || continues.seq !== state.seq) {
          return fail(
            `the header does not continue the previous file (ended at seq ${state.seq}): a file is missing or was replaced`,
            seq,
          );
        }
      } else if (record.event === "header") {
        return fail("a header in the middle of a file", seq);
      }
      if (state !== null) {
        if (seq !== state.seq + 1)
          return fail(
            `the sequence jumps from ${state.seq} to ${seq} (records deleted, inserted or reordered)`,
            seq,
          );
        if (record.prev !== state.hash)
          return fail("the record does not link to the one before it (deleted, inserted or reordered)", seq);
      }
      if (record.event === "summary" && typeof record.calls === "number") result.folded += record.calls;
      result.firstSeq ??= seq;
      state = { seq, hash: record.hash };
      result.records += 1;
    }
  }
  if (state !== null) {
    result.lastSeq = state.seq;
    result.lastHash = state.hash;
  }
  if (result.folded > 0) {
    result.notes.push(
      `${result.folded} refused call(s) past a connection's audit budget are counted in summary records, not logged one by one`,
    );
  }
  return result;
}
