import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  type Stats,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { CcmuxError } from "../errors.js";
import { type ChainState, GENESIS, headerFields, seal } from "./audit-chain.js";
import { shiftFiles } from "./audit-files.js";
import { withFileLock } from "./file-lock.js";
import type { Redactor } from "./redact.js";

export type AuditDecision = "allow" | "deny" | "error" | "info";

/** Who a record's action came from (AuditRecord.origin). */
export type AuditOrigin = "agent" | "person";

/** One line of the audit log, before the log adds `v`, `seq`, `time`, `session`, `prev` and `hash`. */
export interface AuditRecord {
  /** What happened: a tool call, a process exit, server start/stop, an eviction. */
  event:
    | "call"
    | "outcome"
    | "exit"
    | "start"
    | "stop"
    | "evict"
    | "security"
    | "summary"
    /** A client connected to the daemon (allowed, or refused by its peer credentials or its hello). */
    | "connect"
    /** A daemon client went away. */
    | "disconnect"
    /** A person attached to a pane (`ccmux attach`), or was refused. */
    | "attach"
    /** A person's view of a pane ended. */
    | "detach"
    /** A person took (`take: true`) or released write on a pane they watch. */
    | "person-write"
    /** What a person holding write typed into a pane (`text`; its length and SHA-256 under redactInput). */
    | "person-input"
    /** A person's terminal size set the pane's (`ccmux attach --resize`). */
    | "person-resize"
    /** Pane history kept across daemon restarts: panes restored, journals that did not open or stopped. */
    | "journal";
  decision: AuditDecision;
  /**
   * Who acted: `agent` (an MCP client's tool call, its outcome, the alerts and summaries it caused) or `person`
   * (someone at `ccmux attach`). Absent on the server's own records (start, stop, exit, evict).
   */
  origin?: AuditOrigin;
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

export interface AuditLogOptions {
  /** Rotate when the file would grow past this many bytes. */
  maxBytes: number;
  /** Rotated files kept (`path.1` … `path.keep`). */
  keep: number;
  /**
   * `each`: fdatasync every record before the call it allows goes on (survives power loss). `batched`: the
   * record is in the kernel before the call goes on (a crash or SIGKILL of ccmux loses nothing) and is flushed
   * to disk within BATCH_SYNC_MS, off the call's path.
   */
  sync: "batched" | "each";
  /** Keep only the length and digest of text typed with send_keys. */
  redactInput: boolean;
}

export const DEFAULT_AUDIT_OPTIONS: AuditLogOptions = {
  maxBytes: 16 * 1024 * 1024,
  keep: 10,
  sync: "batched",
  redactInput: false,
};

/** With `sync: "batched"`, how long a record may stay in the page cache before it is flushed. */
const BATCH_SYNC_MS = 100;

/**
 * The append-only, hash-chained JSONL audit log. Every record carries `seq`, the previous record's hash
 * (`prev`) and its own (`hash`, SHA-256 over its canonical bytes); each file starts with a header anchored to a
 * random nonce and, after rotation, to the previous file's last hash. Every write is synchronous and, with
 * `sync: "each"`, on disk before the action it allows is taken; a write that fails refuses the call (fail closed).
 * Servers sharing the file take turns under flock(2) and extend one chain.
 */
export class AuditLog {
  private state: ChainState = { seq: 0, hash: GENESIS };
  /** File size after our last write: a different size means another server appended meanwhile. */
  private knownSize = -1;
  private knownIno = -1;
  private syncTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly path: string,
    private fd: number,
    private readonly lockFd: number,
    private readonly runId: string,
    private readonly redactor: Redactor,
    private readonly options: AuditLogOptions,
  ) {}

  /**
   * Opens (creating when missing) the log at `path`. The directory is created 0700 when missing and must be a
   * real directory owned by this user and not writable by others; the file is opened 0600 without following
   * symlinks and must be a regular file owned by this user. A torn last line (a crash mid-write) is cut off; a
   * file without a chain (an older ccmux) is set aside and a new chain begins.
   */
  static open(
    path: string,
    runId: string,
    redactor: Redactor,
    options: AuditLogOptions = DEFAULT_AUDIT_OPTIONS,
  ): AuditLog {
    try {
      const dir = dirname(path);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const dirStat = lstatSync(dir);
      // Security: a log directory others can write lets them swap the log file between our runs.
      if (!dirStat.isDirectory() || (dirStat.mode & 0o022) !== 0 || !ownedByUs(dirStat.uid)) {
        throw new Error(
          "the audit directory must be a real directory owned by this user and not group/other-writable",
        );
      }
      const log = new AuditLog(
        path,
        openLogFile(path),
        openLogFile(`${path}.lock`),
        runId,
        redactor,
        options,
      );
      log.withLock(() => undefined);
      return log;
    } catch (cause) {
      throw new CcmuxError("AUDIT_UNAVAILABLE", `The audit log cannot be opened: ${reasonOf(cause)}.`, {
        cause,
        data: { path },
      });
    }
  }

  /**
   * Appends one record and returns its size in bytes; throws AUDIT_UNAVAILABLE when it cannot be written. A
   * record bigger than `maxBytes` (at most MAX_RECORD_BYTES) keeps its fields' sizes and digests instead.
   */
  write(record: AuditRecord, maxBytes = MAX_RECORD_BYTES): number {
    // Security: every field is redacted (argv, detail and reason echo agent input too), and long strings are
    // cut so a flood of huge refused calls cannot fill the disk and take the log down.
    const redaction = this.redactor.redactWithReport(this.options.redactInput ? digestInput(record) : record);
    const { time: _time, session: _session, ...safe } = capStrings(redaction.value as AuditRecord);
    let fields: Record<string, unknown> = { time: new Date().toISOString(), session: this.runId, ...safe };
    let written = 0;
    // Whenever redaction changed a string, the record says where, and the original's length and SHA-256.
    if (redaction.changed.length > 0) fields.redacted = redaction.changed;
    if (redaction.more > 0) fields.redactedMore = redaction.more;
    try {
      this.withLock(() => {
        // One serialization on the common path; sealed again only when the record is too big or the file rotates.
        let line = sealLine(fields, this.state);
        if (line.bytes.length > Math.min(maxBytes, MAX_RECORD_BYTES)) {
          fields = boundRecord(fields);
          line = sealLine(fields, this.state);
        }
        if (this.knownSize > 0 && this.knownSize + line.bytes.length > this.options.maxBytes) {
          this.rotate();
          line = sealLine(fields, this.state);
        }
        this.append(line);
        written = line.bytes.length;
      });
    } catch (cause) {
      throw new CcmuxError(
        "AUDIT_UNAVAILABLE",
        "The audit log could not be written, so the call was refused.",
        {
          cause,
        },
      );
    }
    return written;
  }

  /** Flushes pending records now (batched mode), then releases the file. */
  close(): void {
    if (this.fd < 0) return;
    clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    try {
      fdatasyncSync(this.fd);
    } catch {
      // nothing more to do at close
    }
    try {
      closeSync(this.fd);
      closeSync(this.lockFd);
    } finally {
      this.fd = -1;
    }
  }

  /**
   * Runs `fn` holding the log's lock, on the file now at `path` (another server may have rotated it), with the
   * chain state caught up to whatever another server appended since our last write. Security: the lock is on
   * `path.lock`, a file never renamed, so a rotation (move the old file, rename the new one in) is one step to
   * every other server — none can append to a file being replaced or find `path` missing and make its own.
   */
  private withLock(fn: () => void): void {
    withFileLock(this.lockFd, () => {
      const onDisk = statOrNull(this.path);
      if (onDisk === null || onDisk.ino !== fstatSync(this.fd).ino) {
        // Another server rotated the log: flush what we wrote to the old file, then follow the name.
        const old = this.fd;
        this.fd = -1;
        tryFlushAndClose(old);
        this.fd = openLogFile(this.path);
      }
      const mine = fstatSync(this.fd);
      if (mine.size !== this.knownSize || mine.ino !== this.knownIno) this.catchUp(mine.size, mine.ino);
      fn();
    });
  }

  /** Reads the chain's end from the file (after cutting a torn last line), or starts the file with a header. */
  private catchUp(size: number, ino: number): void {
    const end = lastNewlineEnd(this.fd, size);
    // A crash or a full disk left half a line: cut it so the file parses, keeping every whole record.
    if (end < size) ftruncateSync(this.fd, end);
    this.knownSize = end;
    this.knownIno = ino;
    const last = lastLine(this.fd, end);
    if (last === undefined) {
      this.append(sealLine(headerFields(new Date().toISOString(), null), { seq: 0, hash: GENESIS }));
      return;
    }
    const parsed = parseChained(last);
    if (parsed !== null) {
      this.state = parsed;
      return;
    }
    if (isLegacyRecord(last)) {
      // An older ccmux's log, without a chain: set it aside (named in `ccmux audit verify`), begin a new chain.
      this.replaceFile(() => renameSync(this.path, `${this.path}.unchained-${Date.now()}`), null);
      return;
    }
    // A damaged end: rotate it into the sequence, where `ccmux audit verify` names the broken record.
    this.replaceFile(() => shiftFiles(this.path, this.options.keep), null);
  }

  /** Moves this file to `path.1` and starts `path` with a header that continues the chain. */
  private rotate(): void {
    this.replaceFile(() => shiftFiles(this.path, this.options.keep), this.state);
  }

  /**
   * Starts a new file at `path` whose header continues `continues` (null: a new chain). The header is written
   * to a private name first and renamed into place, so another server never finds the new file headerless.
   */
  private replaceFile(moveOld: () => void, continues: ChainState | null): void {
    const fresh = `${this.path}.new-${randomBytes(6).toString("hex")}`;
    const fd = openLogFile(fresh, true);
    const header = sealLine(
      headerFields(new Date().toISOString(), continues),
      continues ?? { seq: 0, hash: GENESIS },
    );
    try {
      writeAll(fd, header.bytes);
      fdatasyncSync(fd); // a new file's first record: always on disk before the file is renamed into place
      moveOld();
      renameSync(fresh, this.path);
    } catch (error) {
      closeSync(fd);
      rmSync(fresh, { force: true });
      throw error;
    }
    const old = this.fd;
    this.fd = fd;
    tryFlushAndClose(old);
    this.state = header.state;
    this.knownIno = fstatSync(fd).ino;
    this.knownSize = header.bytes.length;
  }

  /** Batched mode: one fdatasync within BATCH_SYNC_MS for every record written since the last. */
  private scheduleSync(): void {
    if (this.syncTimer !== undefined) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      if (this.fd < 0) return;
      try {
        fdatasyncSync(this.fd);
      } catch {
        // a failing disk shows at the next write, which refuses its call
      }
    }, BATCH_SYNC_MS);
    this.syncTimer.unref();
  }

  private append(line: SealedLine): void {
    const { bytes } = line;
    const sizeBefore = fstatSync(this.fd).size;
    try {
      writeAll(this.fd, bytes);
      if (this.options.sync === "each") fdatasyncSync(this.fd);
      else this.scheduleSync();
    } catch (error) {
      // A record that did not fit (disk full, file size limit) must not leave half a line behind.
      tryTruncate(this.fd, sizeBefore);
      throw error;
    }
    this.state = line.state;
    this.knownSize = sizeBefore + bytes.length;
  }
}

/** A record sealed onto the chain, as the bytes of its line, and where the chain stands after it. */
interface SealedLine {
  bytes: Buffer;
  state: ChainState;
}

function sealLine(fields: Record<string, unknown>, state: ChainState): SealedLine {
  const sealed = seal(fields, state);
  return { bytes: Buffer.from(`${JSON.stringify(sealed.record)}\n`, "utf8"), state: sealed.state };
}

function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
}

function openLogFile(path: string, exclusive = false): number {
  // Security: O_NOFOLLOW refuses a planted symlink that would redirect our records into another file.
  const fd = openSync(
    path,
    constants.O_RDWR |
      constants.O_APPEND |
      constants.O_CREAT |
      constants.O_NOFOLLOW |
      (exclusive ? constants.O_EXCL : 0),
    0o600,
  );
  const fileStat = fstatSync(fd);
  if (!fileStat.isFile() || !ownedByUs(fileStat.uid) || (fileStat.mode & 0o077) !== 0) {
    closeSync(fd);
    throw new Error("the audit file must be a regular file owned by this user with mode 0600");
  }
  return fd;
}

/** Bytes read at a time when looking back through the file for a record boundary. */
const BACK_CHUNK = 64 * 1024;

/** The offset just past the file's last newline (0 when there is none): the end of its last whole record. */
function lastNewlineEnd(fd: number, size: number): number {
  const buffer = Buffer.alloc(BACK_CHUNK);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - BACK_CHUNK);
    const read = readSync(fd, buffer, 0, end - start, start);
    const at = buffer.subarray(0, read).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

/** The last whole line before `end` (which follows a newline), however long; undefined for an empty file. */
function lastLine(fd: number, end: number): string | undefined {
  if (end === 0) return undefined;
  const start = lastNewlineEnd(fd, end - 1);
  const buffer = Buffer.alloc(end - 1 - start);
  readSync(fd, buffer, 0, buffer.length, start);
  return buffer.toString("utf8");
}

/** A record an older ccmux wrote: JSON, but no chain. */
function isLegacyRecord(line: string): boolean {
  try {
    const record = JSON.parse(line) as { v?: unknown };
    return record !== null && typeof record === "object" && record.v === 1;
  } catch {
    return false;
  }
}

function tryFlushAndClose(fd: number): void {
  if (fd < 0) return;
  try {
    fdatasyncSync(fd); // batched records of a file rotated away
  } catch {
    // closing still releases it
  }
  closeSync(fd);
}

/** The chain state a record line ends at, or null when the line is not a chained record. */
function parseChained(line: string): ChainState | null {
  try {
    const record = JSON.parse(line) as { seq?: unknown; hash?: unknown };
    if (
      typeof record.seq === "number" &&
      typeof record.hash === "string" &&
      /^[0-9a-f]{64}$/.test(record.hash)
    ) {
      return { seq: record.seq, hash: record.hash };
    }
  } catch {
    // not JSON
  }
  return null;
}

function statOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** `audit.redactInput`: what the agent, or a person, typed is kept as its length and digest only. */
function digestInput(record: AuditRecord): AuditRecord {
  if (record.event === "person-input" && typeof record.text === "string") {
    const digest = createHash("sha256").update(record.text).digest("hex");
    return { ...record, text: { length: record.text.length, sha256: digest } };
  }
  const args = record.args as { text?: unknown } | undefined;
  if (record.tool !== "send_keys" || typeof args?.text !== "string") return record;
  const digest = createHash("sha256").update(args.text).digest("hex");
  return { ...record, args: { ...args, text: { length: args.text.length, sha256: digest } } };
}

/** Longest string kept whole in a record; longer ones keep their start, length and digest. */
const MAX_LOGGED_STRING = 4096;

/** Longest object key kept whole. */
const MAX_LOGGED_KEY = 128;
/** Largest record written whole; a bigger one keeps its fields' sizes and digests instead of their contents. */
export const MAX_RECORD_BYTES = 64 * 1024;

function capString(value: string, max: number): string {
  if (value.length <= max) return value;
  const digest = createHash("sha256").update(value).digest("hex").slice(0, 16);
  return `${value.slice(0, max)}…[${value.length} chars, sha256:${digest}]`;
}

function capStrings<T>(value: T): T {
  if (typeof value === "string") return capString(value, MAX_LOGGED_STRING) as T;
  if (Array.isArray(value)) return Array.from(value, (item) => capStrings(item)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [capString(key, MAX_LOGGED_KEY), capStrings(item)]),
    ) as T;
  }
  return value;
}

/**
 * For a record over MAX_RECORD_BYTES. Security: one call's record stays under the bound however many strings its arguments hold — a huge
 * record would make rotation churn away history. Oversized fields are replaced by their size and digest.
 */
function boundRecord(fields: Record<string, unknown>): Record<string, unknown> {
  const digestOf = (value: unknown) => {
    const json = JSON.stringify(value) ?? "";
    return {
      oversized: true,
      bytes: Buffer.byteLength(json, "utf8"),
      sha256: createHash("sha256").update(json).digest("hex"),
    };
  };
  const bounded = Object.fromEntries(
    Object.entries(fields).map(([key, value]) =>
      typeof value === "object" && value !== null ? [key, digestOf(value)] : [key, value],
    ),
  );
  return Buffer.byteLength(JSON.stringify(bounded), "utf8") <= MAX_RECORD_BYTES
    ? bounded
    : { ...digestOf(fields), event: fields.event, decision: fields.decision };
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
