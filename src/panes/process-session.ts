import { readdirSync, readFileSync, statSync } from "node:fs";

/** One process as /proc/<pid>/stat shows it (proc(5)). */
export interface ProcessEntry {
  pid: number;
  /** Parent pid, as seen from this (the host's) PID namespace. */
  ppid: number;
  /** Process group id. */
  pgrp: number;
  /** Session id. */
  session: number;
  /** Start time in clock ticks since boot: with the pid, it names one process (a pid is reused, this pair not). */
  start: string;
  /** The controlling terminal's device number (0 when none, e.g. after setsid). */
  tty: number;
  /** The controlling terminal's foreground process group, as this PID namespace numbers it (-1 when none). */
  tpgid: number;
  /** Its threads: each holds a pid as a process does. */
  threads: number;
  zombie: boolean;
}

/** Every process in /proc, read in one pass. Processes that exit while we look are left out. */
export function readProcesses(): Map<number, ProcessEntry> {
  const table = new Map<number, ProcessEntry>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return table;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const parsed = readStat(Number(entry));
    if (parsed) table.set(parsed.pid, parsed);
  }
  return table;
}

/** One process's /proc/<pid>/stat, or undefined if it is gone. */
export function readStat(pid: number): ProcessEntry | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined; // exited while we looked
  }
  // Fields after the parenthesised command name (which may itself contain spaces and parentheses):
  // state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) ... num_threads(20) itrealvalue(21) starttime(22).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    pid,
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
    tty: Number(fields[4]),
    tpgid: Number(fields[5]),
    threads: Math.max(1, Number(fields[17]) || 1),
    start: fields[19] ?? "",
    zombie: fields[0] === "Z",
  };
}

/**
 * The terminal devices (st_rdev) a process holds open as stdin, stdout or stderr. A process that left its
 * session (setsid) has no controlling terminal any more, but usually still writes to the pane's.
 */
export function standardTerminals(pid: number): number[] {
  const devices: number[] = [];
  for (const fd of [0, 1, 2]) {
    try {
      const stat = statSync(`/proc/${pid}/fd/${fd}`);
      if (stat.isCharacterDevice()) devices.push(stat.rdev);
    } catch {
      // closed, gone, or not ours to look at
    }
  }
  return devices;
}

/**
 * Sends `signal` to `pid` (a negative pid: a process group); a process already gone is not an error. Returns
 * whether it was sent.
 */
export function trySignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // already gone, or never ours
  }
}
