import type { PaneHost, PaneInfo, PaneViewer } from "../panes/pane-host.js";
import type { Connection } from "../tools/connection.js";

/** One pane as `ccmux ls` shows it. */
export interface ListedPane {
  pane: string;
  name: string;
  argv: readonly string[];
  pid: number;
  alive: boolean;
  exitCode: number | null;
  sandboxed: boolean;
  /** People watching the pane (`ccmux attach`): their pid and uid, and whether they hold write. */
  viewers: { pid: number; uid: number; write: boolean; since: string }[];
}

/** An agent session as `ccmux ls` shows it: its live connections and its panes. */
export interface ListedSession {
  name: string;
  connections: number;
  panes: ListedPane[];
}

/**
 * The daemon's sessions (those with a connection or a pane) and the person's panes, for `ccmux ls`. A session
 * lives on without connections for as long as its panes do.
 */
export async function describeSessions(
  host: PaneHost,
  connected: ReadonlyMap<string, ReadonlySet<Connection>>,
): Promise<{ sessions: ListedSession[]; personPanes: ListedPane[] }> {
  const sessions = new Map<string, ListedSession>();
  const session = (name: string): ListedSession => {
    let found = sessions.get(name);
    if (!found) {
      found = { name, connections: connected.get(name)?.size ?? 0, panes: [] };
      sessions.set(name, found);
    }
    return found;
  };
  for (const name of connected.keys()) session(name);
  const personPanes: ListedPane[] = [];
  for (const pane of await host.list()) {
    const entry = listed(pane, host.viewers(pane.id));
    if (pane.owner.kind === "person") personPanes.push(entry);
    else session(pane.owner.session).panes.push(entry);
  }
  return { sessions: [...sessions.values()].sort((a, b) => a.name.localeCompare(b.name)), personPanes };
}

function listed(pane: PaneInfo, viewers: readonly PaneViewer[]): ListedPane {
  return {
    pane: pane.id,
    name: pane.name,
    argv: pane.argv,
    pid: pane.pid,
    alive: pane.alive,
    exitCode: pane.exit?.exitCode ?? null,
    sandboxed: pane.sandboxed,
    viewers: viewers.map(({ pid, uid, write, since }) => ({ pid, uid, write, since })),
  };
}
