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

/** One line of the audit log, before the log adds `v`, `seq`, `time`, `session`, `prev` and `hash`. */
export interface AuditRecord {
  /** What happened: a tool call, a process exit, server start/stop, an eviction. */
  event: "call" | "outcome" | "exit" | "start" | "stop" | "evict" | "security";
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

/** Bytes read from the end of a file to find its last record (records are capped well below this). */
const TAIL_BYTES = 256 * 1024;

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
      const log = new AuditLog(path, openLogFile(path), runId, redactor, options);
      log.withLock(() => undefined);
      return log;
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
    const fields = {
      time: new Date().toISOString(),
      session: this.runId,
      ...capStrings(
        this.redactor.redact(this.options.redactInput ? digestInput(record) : record) as AuditRecord,
      ),
    };
    try {
      this.withLock(() => {
        const line = Buffer.byteLength(`${JSON.stringify(seal(fields, this.state).record)}\n`, "utf8");
        if (this.knownSize > 0 && this.knownSize + line > this.options.maxBytes) this.rotate();
        this.append(seal(fields, this.state));
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
    } finally {
      this.fd = -1;
    }
  }

  /**
   * Runs `fn` holding the file lock, on the file now at `path` (another server may have rotated it), with the
   * chain state caught up to whatever another server appended since our last write.
   */
  private withLock(fn: () => void): void {
    for (;;) {
      const fd = this.fd;
      let ran = false;
      withFileLock(fd, () => {
        const onDisk = statOrNull(this.path);
        const mine = fstatSync(fd);
        if (onDisk === null || onDisk.ino !== mine.ino) return; // rotated away under us: reopen below
        if (mine.size !== this.knownSize || mine.ino !== this.knownIno) this.catchUp(mine.size, mine.ino);
        fn();
        ran = true;
      });
      // A rotation inside replaced this.fd; the old descriptor is released only now, after its unlock.
      if (this.fd !== fd) {
        fdatasyncSync(fd); // batched records of the file rotated away
        closeSync(fd);
      }
      if (ran) return;
      closeSync(this.fd);
      this.fd = openLogFile(this.path);
      this.knownSize = -1;
    }
  }

  /** Reads the chain's end from the file (after cutting a torn last line), or starts the file with a header. */
  private catchUp(size: number, ino: number): void {
    let end = size;
    const tail = readTail(this.fd, size);
    if (size > 0 && !tail.text.endsWith("\n")) {
      // A crash or a full disk left half a line: cut it so the file parses, keeping every whole record.
      end = tail.start + Buffer.byteLength(tail.text.slice(0, tail.text.lastIndexOf("\n") + 1), "utf8");
      ftruncateSync(this.fd, end);
    }
    this.knownSize = end;
    this.knownIno = ino;
    const lines = readTail(this.fd, end)
      .text.split("\n")
      .filter((line) => line.length > 0);
    const last = lines.at(-1);
    if (last === undefined) {
      this.append(seal(headerFields(new Date().toISOString(), null), { seq: 0, hash: GENESIS }));
      return;
    }
    const parsed = parseChained(last);
    if (parsed === null) {
      // No chain to extend (an older ccmux's log, or a damaged end): set the file aside, begin a new one.
      this.replaceFile(() => renameSync(this.path, `${this.path}.unchained-${Date.now()}`), null);
      return;
    }
    this.state = parsed;
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
    const start = continues ?? { seq: 0, hash: GENESIS };
    const sealed = seal(headerFields(new Date().toISOString(), continues), start);
    const bytes = Buffer.from(`${JSON.stringify(sealed.record)}\n`, "utf8");
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      fdatasyncSync(fd); // a new file's first record: always on disk before the file is renamed into place
      moveOld();
      renameSync(fresh, this.path);
    } catch (error) {
      closeSync(fd);
      rmSync(fresh, { force: true });
      throw error;
    }
    this.fd = fd;
    this.state = sealed.state;
    this.knownIno = fstatSync(fd).ino;
    this.knownSize = bytes.length;
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

  private append(sealed: { record: Record<string, unknown>; state: ChainState }): void {
    const bytes = Buffer.from(`${JSON.stringify(sealed.record)}\n`, "utf8");
    const sizeBefore = fstatSync(this.fd).size;
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
      if (this.options.sync === "each") fdatasyncSync(this.fd);
      else this.scheduleSync();
    } catch (error) {
      // A record that did not fit (disk full, file size limit) must not leave half a line behind.
      tryTruncate(this.fd, sizeBefore);
      throw error;
    }
    this.state = sealed.state;
    this.knownSize = sizeBefore + bytes.length;
  }
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

function readTail(fd: number, size: number): { text: string; start: number } {
  const start = Math.max(0, size - TAIL_BYTES);
  const buffer = Buffer.alloc(size - start);
  let read = 0;
  while (read < buffer.length) {
    const n = readSync(fd, buffer, read, buffer.length - read, start + read);
    if (n <= 0) break;
    read += n;
  }
  return { text: buffer.subarray(0, read).toString("utf8"), start };
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

/** `audit.redactInput`: what the agent typed is kept as its length and digest only. */
function digestInput(record: AuditRecord): AuditRecord {
  const args = record.args as { text?: unknown } | undefined;
  if (record.tool !== "send_keys" || typeof args?.text !== "string") return record;
  const digest = createHash("sha256").update(args.text).digest("hex");
  return { ...record, args: { ...args, text: { length: args.text.length, sha256: digest } } };
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
