import { readFileSync, statSync } from "node:fs";
import { addon } from "../native/addon.js";

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

/** Numbers per process in addon.procStats (native/proc-stats.c). */
const STAT_FIELDS = 9;

/**
 * Every process in /proc, read in one pass (natively: see native/proc-stats.c). Processes that exit while we look
 * are left out; an empty table when /proc cannot be listed.
 */
export function readProcesses(): Map<number, ProcessEntry> {
  const table = new Map<number, ProcessEntry>();
  let stats: Float64Array;
  try {
    stats = addon.procStats();
  } catch {
    return table;
  }
  for (let at = 0; at + STAT_FIELDS <= stats.length; at += STAT_FIELDS) {
    const entry = entryOf(stats, at);
    table.set(entry.pid, entry);
  }
  return table;
}

/** One process's /proc/<pid>/stat, or undefined if it is gone. */
export function readStat(pid: number): ProcessEntry | undefined {
  const stats = addon.procStat(pid);
  return stats === null ? undefined : entryOf(stats, 0);
}

/** The entry whose numbers start at `at` in procStats' answer: pid ppid pgrp session tty tpgid threads start zombie. */
function entryOf(stats: Float64Array, at: number): ProcessEntry {
  return {
    pid: stats[at] as number,
    ppid: stats[at + 1] as number,
    pgrp: stats[at + 2] as number,
    session: stats[at + 3] as number,
    tty: stats[at + 4] as number,
    tpgid: stats[at + 5] as number,
    threads: stats[at + 6] as number,
    start: String(stats[at + 7]),
    zombie: stats[at + 8] === 1,
  };
}

/**
 * The signals a process blocks and ignores, from /proc/<pid>/status (SigBlk, SigIgn): bit N-1 stands for signal N.
 * Undefined when it is gone or its status cannot be read.
 */
export function signalMasks(pid: number): { blocked: bigint; ignored: bigint } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "latin1");
  } catch {
    return undefined;
  }
  const mask = (name: string): bigint | undefined => {
    const hex = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, "m").exec(status)?.[1];
    return hex === undefined ? undefined : BigInt(`0x${hex}`);
  };
  const blocked = mask("SigBlk");
  const ignored = mask("SigIgn");
  return blocked === undefined || ignored === undefined ? undefined : { blocked, ignored };
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

/** Sends `signal` to each process group in `groups`, then to each of `pids` (see trySignal). */
export function signalGroupsThenPids(
  pids: readonly number[],
  groups: readonly number[],
  signal: NodeJS.Signals,
): void {
  for (const group of groups) trySignal(-group, signal);
  for (const pid of pids) trySignal(pid, signal);
}
