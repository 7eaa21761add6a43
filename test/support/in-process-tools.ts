import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { PaneServer } from "../../src/cli/pane-server.js";
import type { PaneHost } from "../../src/panes/pane-host.js";
import { type TestWorkspace, toolCalls } from "./mcp-harness.js";

/** The build: the screen thread runs compiled JavaScript, so the server is the one `ccmux serve` runs. */
const DIST = resolve(import.meta.dirname, "../../dist");

/** A real SDK client linked in-process to one connection of the tools. */
export interface InProcessClient {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** The refusal's text (`CODE: sentence`); throws unless the call was refused with `code`. */
  refused(name: string, args: Record<string, unknown>, code: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The tools of `ws`'s policy served in this process as `ccmux serve` serves them (the built pane server: audit log,
 * real embedded pane host, person panes), for tests that must reach the pane host beside the client: a person's
 * viewer (what `ccmux attach` does in the daemon), or a race injected between a check and an act.
 */
export interface InProcessTools {
  /** The real pane host every connection shares. */
  host: PaneHost;
  /**
   * Links a new client to a new connection of agent session `session` (default: the connection's own id, as
   * `serve` does). `wrap` may stand between the tools and the host (to inject a race); it defaults to none.
   */
  connect(options?: { session?: string; wrap?: (host: PaneHost) => PaneHost }): Promise<InProcessClient>;
  /** Closes every client, kills every pane and closes the audit log. */
  stop(): Promise<void>;
}

export async function serveInProcess(ws: TestWorkspace): Promise<InProcessTools> {
  const { loadServedPolicy } = (await import(
    join(DIST, "cli/served-policy.js")
  )) as typeof import("../../src/cli/served-policy.js");
  const { openPaneServer } = (await import(
    join(DIST, "cli/pane-server.js")
  )) as typeof import("../../src/cli/pane-server.js");
  const { Connection } = (await import(
    join(DIST, "tools/connection.js")
  )) as typeof import("../../src/tools/connection.js");
  const { createServer } = (await import(
    join(DIST, "tools/create-server.js")
  )) as typeof import("../../src/tools/create-server.js");

  // Session directories and the like go to the test's own directory, as serveWorkspace's server does.
  process.env.XDG_STATE_HOME = join(ws.dir, "xdg-state");
  const loaded = loadServedPolicy(ws.policyPath);
  if ("code" in loaded) throw new Error(`the test policy does not load: ${loaded.problems.join("; ")}`);
  const opened = openPaneServer(loaded.file, loaded.policy);
  if ("code" in opened) throw new Error(`the pane server does not open: ${opened.problems.join("; ")}`);
  const served: PaneServer = opened;
  const clients: InProcessClient[] = [];

  return {
    host: served.host,
    async connect(options = {}) {
      const { policy, audit, serverEnv, warn, startPersonPanes } = served;
      const connection = new Connection(policy.limits, policy.anomalies, policy.audit);
      const host = options.wrap ? options.wrap(served.host) : served.host;
      const session = options.session ?? connection.id;
      const server = createServer(
        { policy, host, audit, connection, session, serverEnv, warn, startPersonPanes },
        "0.0.0-test",
      );
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      const client = new Client({ name: "ccmux-in-process", version: "0.0.0" });
      await client.connect(clientSide);
      const linked = linkedClient(client, async () => {
        await client.close();
        await server.close();
      });
      clients.push(linked);
      return linked;
    },
    async stop() {
      for (const client of clients) await client.close().catch(() => {});
      await served.stop("test done");
    },
  };
}

function linkedClient(client: Client, close: () => Promise<void>): InProcessClient {
  return { client, ...toolCalls(client), close };
}
