import { readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { readInfo } from "../daemon/info-file.js";
import { socketDirPath } from "../daemon/runtime-dir.js";
import { askDaemon, reachDaemon } from "./daemon-client.js";
import type { ListedPane, ListedSession } from "./daemon-sessions.js";
import { findPolicy } from "./policy-location.js";

interface DaemonListing {
  pid: number;
  policy: string;
  started: string;
  sessions: ListedSession[];
  personPanes: ListedPane[];
}

/**
 * `ccmux ls [--config FILE] [--json]`: the daemons running for this user (or the one of FILE), their agent
 * sessions and their panes. Each daemon is verified before it is asked (see reachDaemon); one that cannot be
 * trusted is reported, not asked. Exit 0, or 1 when a daemon could not be listed.
 */
export async function lsCommand(options: { config?: string; json: boolean }): Promise<number> {
  const dir = socketDirPath();
  let policies: string[];
  if (options.config !== undefined) {
    const found = findPolicy(options.config);
    if (found.file === undefined) {
      console.error(`ccmux ls: ${found.problem}`);
      return 2;
    }
    policies = [realpathSync(found.file)];
  } else policies = runningPolicies(dir);
  const listings: DaemonListing[] = [];
  let failed = 0;
  for (const policy of policies) {
    const reached = await reachDaemon(dir, policy, false);
    if (!reached.ok) {
      if (options.config !== undefined || !reached.reason.startsWith("no daemon runs")) {
        console.error(`ccmux ls: ${policy}: ${reached.reason}`);
        failed += 1;
      }
      continue;
    }
    try {
      const reply = await askDaemon(reached.socket, { ccmux: 1, op: "ls" });
      if (!reply.ok) throw new Error(`${reply.code}: ${reply.message}`);
      listings.push({
        pid: reached.info.pid,
        policy,
        started: reached.info.started,
        sessions: reply.sessions as ListedSession[],
        personPanes: reply.personPanes as ListedPane[],
      });
    } catch (error) {
      console.error(`ccmux ls: ${policy}: ${(error as Error).message}`);
      failed += 1;
    } finally {
      reached.socket.destroy();
    }
  }
  if (options.json) process.stdout.write(`${JSON.stringify(listings, null, 2)}\n`);
  else process.stdout.write(formatListings(listings));
  return failed > 0 ? 1 : 0;
}

/** The policies whose info files are in `dir` (each is verified before use). */
function runningPolicies(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
  const policies: string[] = [];
  for (const name of names) {
    try {
      policies.push(readInfo(join(dir, name)).policy);
    } catch {
      // not ours or not an info file: verifyDaemon would refuse it too
    }
  }
  return policies;
}

function formatListings(listings: readonly DaemonListing[]): string {
  if (listings.length === 0) return "No ccmux daemon is running.\n";
  const lines: string[] = [];
  for (const daemon of listings) {
    lines.push(`daemon pid ${daemon.pid}, policy ${daemon.policy}, since ${daemon.started}`);
    for (const session of daemon.sessions) {
      lines.push(
        `  session ${session.name}: ${session.connections} connection${session.connections === 1 ? "" : "s"}, ${session.panes.length} pane${session.panes.length === 1 ? "" : "s"}`,
      );
      for (const pane of session.panes) lines.push(`    ${paneLine(pane)}`);
    }
    if (daemon.personPanes.length > 0) {
      lines.push("  person panes:");
      for (const pane of daemon.personPanes) lines.push(`    ${paneLine(pane)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function paneLine(pane: ListedPane): string {
  const state = pane.alive ? `pid ${pane.pid}` : `exited ${pane.exitCode ?? "by signal"}`;
  // The argv is the person's own policy's programs with the agent's arguments: shown as JSON, never raw.
  const watched = (pane.viewers ?? []).map(
    (viewer) => `attached: pid ${viewer.pid} uid ${viewer.uid}${viewer.write ? " (typing)" : ""}`,
  );
  return [
    `${pane.pane}  ${JSON.stringify(pane.name)}  ${state}${pane.sandboxed ? "  sandboxed" : ""}  ${JSON.stringify(pane.argv)}`,
    ...watched,
  ].join("\n      ");
}
