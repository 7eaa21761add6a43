import { readFileSync } from "node:fs";

/** The parent pid of `pid` from /proc/PID/stat, or undefined when the process is gone. */
export function parentPid(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "PID (COMM) STATE PPID …": COMM may hold spaces and parentheses, so split after the last ")".
  const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/**
 * True when `pid` is `ancestor` or runs below it (following parent pids in /proc up to pid 1). False when the
 * chain leaves `ancestor`'s tree or a process in it has gone. Linux only.
 */
export function isDescendant(pid: number, ancestor: number): boolean {
  let current: number | undefined = pid;
  for (let depth = 0; current !== undefined && current > 0 && depth < 4096; depth++) {
    if (current === ancestor) return true;
    if (current === 1) return false;
    current = parentPid(current);
  }
  return false;
}
