import { readdirSync, readFileSync } from "node:fs";

/**
 * Every live process in a session, found through /proc. A pane's child is a session leader (node-pty calls
 * setsid), so its session holds the child, its process group and the jobs an interactive shell put in
 * other process groups — which signalling `-pid` alone would leave behind as orphans.
 */
export function sessionMembers(sessionId: number): number[] {
  const members: number[] = [];
  scanProcesses((pid, session) => {
    if (session === sessionId) members.push(pid);
  });
  return members;
}

/** How many live processes each of `sessionIds` holds, in one pass over /proc. */
export function sessionSizes(sessionIds: ReadonlySet<number>): Map<number, number> {
  const sizes = new Map<number, number>();
  scanProcesses((_pid, session) => {
    if (sessionIds.has(session)) sizes.set(session, (sizes.get(session) ?? 0) + 1);
  });
  return sizes;
}

/** Calls `visit` with the pid and session id of every live (not zombie) process. */
function scanProcesses(visit: (pid: number, session: number) => void): void {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      continue; // exited while we looked
    }
    // Fields after the parenthesised command name (which may itself contain spaces and parentheses).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    const session = Number(fields[3]);
    if (state !== "Z") visit(Number(entry), session);
  }
}

/** Sends `signal` to the session's process group and to every other member of the session. */
export function signalSession(sessionId: number, signal: NodeJS.Signals): void {
  trySignal(-sessionId, signal);
  for (const pid of sessionMembers(sessionId)) trySignal(pid, signal);
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone, or never ours
  }
}
