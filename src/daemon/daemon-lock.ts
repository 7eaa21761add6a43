import {
  type BigIntStats,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
} from "node:fs";
import { addon } from "../native/addon.js";
import { currentUid, privacyProblem } from "../shared/owner-check.js";
import { DaemonUntrusted } from "./daemon-errors.js";

/**
 * The daemon's lock: an exclusive flock(2) on `<key>.lock`, held from start to exit. Only the holder may remove
 * a stale socket or write the info file; the kernel drops the lock when the process dies (even by kill -9), so
 * a free lock means no daemon runs for that policy. The lock file is never unlinked (unlinking it would let two
 * daemons lock two different files of one name).
 */
export class DaemonLock {
  private fd: number | undefined;

  private constructor(
    /** The lock file's path. */
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Opens (creating, mode 0600) and locks `path` without waiting. Undefined when another process holds the lock.
   * Throws DaemonUntrusted when the lock file is a symlink, not a regular file, another uid's, or has group/other
   * bits; other errors (EACCES, ENOENT for a missing directory) as thrown by open.
   */
  static acquire(path: string, uid: number = currentUid()): DaemonLock | undefined {
    let fd: number;
    try {
      // Security: a symlink planted at the lock's name would make us create or lock a file elsewhere (O_NOFOLLOW).
      // Node opens every file O_CLOEXEC, so panes and other children never inherit (and keep alive) the lock.
      fd = openSync(
        path,
        constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
        0o600,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ELOOP")
        throw new DaemonUntrusted(
          "symlink",
          path,
          `the daemon lock ${path} is a symbolic link; remove it (rm ${path})`,
          {
            cause: error,
          },
        );
      throw error;
    }
    try {
      const problem = privacyProblem(fstatSync(fd), path, "file", uid);
      if (problem) throw new DaemonUntrusted(problem.reason, path, `the daemon lock ${problem.message}`);
      if (!addon.tryFlock(fd)) {
        closeSync(fd);
        return undefined;
      }
      return new DaemonLock(path, fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** True until release(). */
  get held(): boolean {
    return this.fd !== undefined;
  }

  /** Drops the lock (closes the descriptor). Idempotent. */
  release(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }
}

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor), for st_dev as a bigint. */
export function majorMinor(dev: bigint): [bigint, bigint] {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return [major, minor];
}

/**
 * The pid holding an FLOCK lock on the file `dev`:`ino` according to `locks` (the text of /proc/locks: lines like
 * `1: FLOCK  ADVISORY  WRITE 1234 fe:00:2146377 0 EOF`, device major:minor in hex). Waiters (`1: -> FLOCK …`) are
 * not holders. Undefined when none; 0 when the kernel shows the holder's pid as 0 (another pid namespace).
 */
export function flockHolder(locks: string, dev: bigint, ino: bigint): number | undefined {
  const [major, minor] = majorMinor(dev);
  for (const line of locks.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] !== "FLOCK") continue;
    const id = /^([0-9a-f]+):([0-9a-f]+):(\d+)$/.exec(fields[5] ?? "");
    if (!id) continue;
    // Security: the same inode number on another filesystem is another file; its lock says nothing about ours.
    if (BigInt(`0x${id[1]}`) !== major || BigInt(`0x${id[2]}`) !== minor || BigInt(id[3] as string) !== ino)
      continue;
    const pid = Number(fields[4]);
    if (Number.isInteger(pid) && pid >= 0) return pid;
  }
  return undefined;
}

/**
 * The pid of the process holding an FLOCK lock on the file at `path` (lstat: never through a symlink), from
 * /proc/locks by device and inode. Undefined when no process holds one, or `path` is missing or not a regular
 * file. 0 when the holder is in a pid namespace this process cannot see. Linux only; source: proc(5),
 * fs/locks.c lock_get_status.
 */
export function lockHolderPid(path: string): number | undefined {
  let st: BigIntStats;
  try {
    st = lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  return flockHolder(readFileSync("/proc/locks", "utf8"), st.dev, st.ino);
}
