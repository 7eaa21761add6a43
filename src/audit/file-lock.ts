import { addon } from "../native/addon.js";

/** How long a writer waits for the log's lock before the call is refused (AUDIT_UNAVAILABLE). */
export const LOCK_WAIT_MS = 2000;

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn` holding an exclusive flock(2) on `fd`. Servers sharing one audit log take turns this way, so each
 * appends after the other's last record and extends the same hash chain. Security: the wait is bounded — a
 * process that takes the lock and never lets go (a pane that could reach the lock file) makes calls fail
 * closed with AUDIT_UNAVAILABLE instead of freezing the server.
 */
export function withFileLock<T>(fd: number, fn: () => T, waitMs = LOCK_WAIT_MS): T {
  const deadline = Date.now() + waitMs;
  while (!addon.tryFlock(fd)) {
    if (Date.now() >= deadline)
      throw new Error(`the audit log stayed locked by another process for ${waitMs} ms`);
    Atomics.wait(pause, 0, 0, 1); // a record's write takes well under a millisecond
  }
  try {
    return fn();
  } finally {
    addon.flock(fd, false);
  }
}
