import { readdirSync, readFileSync } from "node:fs";

/**
 * Every live process in a session, found through /proc. A pane's child is a session leader (node-pty calls
 * setsid), so its session holds the child, its process group and the jobs an interactive shell put in
 * other process groups — which signalling `-pid` alone would leave behind as orphans.
 */
export function sessionMembers(sessionId: number): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return members;
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
    if (session === sessionId && state !== "Z") members.push(Number(entry));
  }
  return members;
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
