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
  /** The server's environment: the only source of variables passed to children. */
  readonly serverEnv: NodeJS.ProcessEnv;
  /** Where panes' private session directories are made (per user, 0700). */
  readonly sessionBase: string;
  /** Tells the person something they must see now (stderr in `serve`). */
  readonly warn: (message: string) => void;
  /**
   * Starts the policy's person panes the first time it is called, then does nothing (src/cli/person-panes.ts).
   * Called before every tool call, so person panes start on first use, not when a client only lists tools.
   */
  readonly startPersonPanes: () => void;
}
