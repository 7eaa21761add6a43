import { readSync } from "node:fs";

/** After a pane's process exits, how long its output may stay silent before reading stops (ms): a grandchild may hold the tty. */
export const DRAIN_IDLE_MS = 500;
/** Bound on one synchronous drain (bytes), so a grandchild that keeps writing cannot hold the thread. */
const MAX_SYNC_DRAIN_BYTES = 4 * 1024 * 1024;

/**
 * Reads what the kernel still buffers for the pty master `fd` (non-blocking), up to MAX_SYNC_DRAIN_BYTES, and
 * hands each read to `deliver` as a copy of its own. Stops at EAGAIN (nothing more now), EIO (every writer is
 * gone) or EBADF. Why: libuv reports a pty's EOF while the kernel may still hold tens of KB (node-pty #72, #85);
 * the caller drains before the descriptor is closed, while its number is still the caller's.
 */
export function drainPtySync(fd: number, deliver: (chunk: Uint8Array) => void): void {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (let total = 0; total < MAX_SYNC_DRAIN_BYTES; ) {
    let read: number;
    try {
      read = readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      return;
    }
    if (read <= 0) return;
    total += read;
    deliver(Uint8Array.prototype.slice.call(buffer, 0, read));
  }
}
