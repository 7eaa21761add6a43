import type { AuditLog } from "../audit/audit-log.js";
import type { PaneHost } from "../panes/pane-host.js";
import type { CompiledPolicy } from "../validation/policy-compile.js";
import type { Connection } from "./connection.js";

/** Everything a tool handler may use, passed in (never reached through globals). */
export interface ToolDeps {
  readonly policy: CompiledPolicy;
  readonly host: PaneHost;
  readonly audit: AuditLog;
  readonly connection: Connection;
  /**
   * The agent session this connection acts for: it owns the panes it spawns and their `new`-read cursors.
   * `ccmux serve`: the connection's own id; the daemon: the `--session` name, shared by reconnecting clients.
   */
  readonly session: string;
  /** The server's environment: the only source of variables passed to children. */
  readonly serverEnv: NodeJS.ProcessEnv;
  /** Tells the person something they must see now (stderr in `serve`). */
  readonly warn: (message: string) => void;
  /**
   * Starts the policy's person panes the first time it is called; later calls wait for that start
   * (src/cli/person-panes.ts). Called before every tool call, so person panes start on first use, not when a
   * client only lists tools.
   */
  readonly startPersonPanes: () => Promise<void>;
}
