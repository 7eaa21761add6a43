import { createHash } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { CcmuxError } from "../errors.js";
import type { Redactor } from "./redact.js";

export type AuditDecision = "allow" | "deny" | "error" | "info";

/** One line of the audit log. Later versions add a hash chain (`prev`, `hash`) after `seq`. */
export interface AuditRecord {
  /** What happened: a tool call, a process exit, server start/stop, an eviction. */
  event: "call" | "outcome" | "exit" | "start" | "stop" | "evict";
  decision: AuditDecision;
  connection?: string;
  tool?: string;
  /** Tool arguments as the agent sent them, secrets redacted. */
  args?: unknown;
  code?: string;
  reason?: string;
  pane?: string;
  pid?: number;
  /** Which policy rule decided, e.g. `commands[2] "git status"`. */
  rule?: string;
  exitCode?: number | null;
  signal?: number | null;
  [extra: string]: unknown;
}

/**
 * The append-only JSONL audit log. Every write is synchronous: the record is in the file (in the kernel's
 * hands) before the action it allows is taken, and a write that fails refuses the call (fail closed).
 */
export class AuditLog {
  private seq = 0;

  private constructor(
    readonly path: string,
    private fd: number,
    private readonly runId: string,
    private readonly redactor: Redactor,
  ) {}

  /**
   * Opens (creating when missing) the log at `path`. The directory is created 0700 when missing and must be a
   * real directory owned by this user and not writable by others; the file is opened 0600 without following
   * symlinks and must be a regular file owned by this user.
   */
  static open(path: string, runId: string, redactor: Redactor): AuditLog {
    const dir = dirname(path);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const dirStat = lstatSync(dir);
      // Security: a log directory others can write lets them swap the log file between our runs.
      if (!dirStat.isDirectory() || (dirStat.mode & 0o022) !== 0 || !ownedByUs(dirStat.uid)) {
        throw new Error(
          "the audit directory must be a real directory owned by this user and not group/other-writable",
        );
      }
      // Security: O_NOFOLLOW refuses a planted symlink that would redirect our records into another file.
      const fd = openSync(
        path,
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
        0o600,
      );
      const fileStat = fstatSync(fd);
      if (!fileStat.isFile() || !ownedByUs(fileStat.uid) || (fileStat.mode & 0o077) !== 0) {
        closeSync(fd);
        throw new Error("the audit file must be a regular file owned by this user with mode 0600");
      }
      return new AuditLog(path, fd, runId, redactor);
    } catch (cause) {
      throw new CcmuxError("AUDIT_UNAVAILABLE", `The audit log cannot be opened: ${reasonOf(cause)}.`, {
        cause,
        data: { path },
      });
    }
  }

  /** Appends one record; throws AUDIT_UNAVAILABLE when it cannot be written. */
  write(record: AuditRecord): void {
    // Security: every field is redacted (argv, detail and reason echo agent input too), and long strings are
    // cut so a flood of huge refused calls cannot fill the disk and take the log down.
    const line = `${JSON.stringify({
      v: 1,
      seq: this.seq + 1,
      time: new Date().toISOString(),
      session: this.runId,
      ...capStrings(this.redactor.redact(record) as AuditRecord),
    })}\n`;
    let sizeBefore: number | undefined;
    try {
      const bytes = Buffer.from(line, "utf8");
      sizeBefore = fstatSync(this.fd).size;
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
      this.seq += 1;
    } catch (cause) {
      // A record that did not fit (disk full, file size limit) must not leave half a line behind.
      if (sizeBefore !== undefined) tryTruncate(this.fd, sizeBefore);
      throw new CcmuxError(
        "AUDIT_UNAVAILABLE",
        "The audit log could not be written, so the call was refused.",
        {
          cause,
        },
      );
    }
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } finally {
      this.fd = -1;
    }
  }
}

/** Longest string kept whole in a record; longer ones keep their start, length and digest. */
const MAX_LOGGED_STRING = 4096;

function capStrings<T>(value: T): T {
  if (typeof value === "string") {
    if (value.length <= MAX_LOGGED_STRING) return value;
    const digest = createHash("sha256").update(value).digest("hex").slice(0, 16);
    return `${value.slice(0, MAX_LOGGED_STRING)}…[${value.length} chars, sha256:${digest}]` as T;
  }
  if (Array.isArray(value)) return value.map(capStrings) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, capStrings(item)])) as T;
  }
  return value;
}

function tryTruncate(fd: number, size: number): void {
  try {
    ftruncateSync(fd, size);
  } catch {
    // nothing more we can do; the reader skips a torn last line
  }
}

function ownedByUs(uid: number): boolean {
  return typeof process.geteuid !== "function" || uid === process.geteuid();
}

function reasonOf(cause: unknown): string {
  if (cause instanceof Error && "code" in cause && cause.code === "ELOOP") return "the path is a symlink";
  return cause instanceof Error ? cause.message : String(cause);
}
