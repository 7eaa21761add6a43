import { addon } from "../native/addon.js";

/**
 * Runs `fn` holding an exclusive flock(2) on `fd`. Servers sharing one audit log take turns this way, so each
 * appends after the other's last record and extends the same hash chain. Blocks while another holds it (a
 * record's write and fsync: well under a millisecond on a local disk).
 */
export function withFileLock<T>(fd: number, fn: () => T): T {
  addon.flock(fd, true);
  try {
    return fn();
  } finally {
    addon.flock(fd, false);
  }
}
