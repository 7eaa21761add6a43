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

/** Walks tried before a chain that keeps breaking is taken as a descendant (see isDescendant). */
const WALKS = 3;
/** Deeper chains than this are taken as descendants: no honest client sits 4096 processes deep. */
const MAX_DEPTH = 4096;

/**
 * True when `pid` is `ancestor` or runs below it (following parent pids in /proc up to pid 1). Linux only.
 *
 * Security: a chain that breaks mid-walk is not taken as "a stranger". The attack review's race: a pane process
 * forks X, X forks P, P connects and X exits while the daemon walks P's parents; the walk read P's parent (X),
 * found X gone and answered false, bypassing the check in under a second. When a read fails, P's link is read
 * again: if it changed, the orphan was handed to the nearest child subreaper (the daemon, or a sandbox's init
 * below it) and the chain is walked again; if the same parent is still there but unreadable, it is a process
 * hidden from us (/proc mounted hidepid: another user's, e.g. root's sshd above an ssh bridge), which no process
 * below the daemon can be (they are ours, or root's daemon sees all), so the chain is not below the daemon. A
 * chain still changing after WALKS walks, or deeper than MAX_DEPTH, counts as below (fail closed).
 */
export function isDescendant(pid: number, ancestor: number): boolean {
  for (let walk = 0; walk < WALKS; walk++) {
    const verdict = walkUp(pid, ancestor);
    if (typeof verdict === "boolean") return verdict;
    const { child, parent } = verdict;
    const hidden = parentPid(child) === parent && parentPid(parent) === undefined && processShown(child);
    if (hidden) return false;
  }
  return true;
}

/** Where a walk stopped: `child`'s parent `parent` could not be read. */
type Break = { child: number; parent: number };

function walkUp(pid: number, ancestor: number): boolean | Break {
  let current = pid;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (current === ancestor) return true;
    if (current === 1) return false;
    const parent = parentPid(current);
    // The peer itself gone: checkPeer refuses that on its own; here it is a break like any other.
    if (parent === undefined) return { child: current, parent: -1 };
    // Parent 0: the top of our pid namespace: not below the daemon.
    if (parent === 0) return false;
    if (parent !== ancestor && parentPid(parent) === undefined) return { child: current, parent };
    current = parent;
  }
  return true;
}

/** Whether `pid` still exists for us (a hidden parent is only a wall below a process we can still see). */
function processShown(pid: number): boolean {
  return parentPid(pid) !== undefined;
}
