import { Connection } from "../tools/connection.js";
import { createServer } from "../tools/create-server.js";
import { clientTransport } from "./client-transport.js";
import { openPaneServer } from "./pane-server.js";
import { serveRefusalsOnly } from "./serve-refusals-only.js";
import { loadServedPolicy } from "./served-policy.js";
import { whenStdioClosed } from "./stdio-closed.js";
import { packageVersion } from "./version.js";

/**
 * `ccmux serve`: the MCP server over stdio. Returns the exit code once the client goes away. A missing or
 * broken policy still answers the client, with every problem (see serve-refusals-only.ts).
 */
export async function serve(options: { config?: string }): Promise<number> {
  const loaded = loadServedPolicy(options.config);
  if ("code" in loaded) return serveRefusalsOnly(loaded);
  const { file } = loaded;
  const opened = openPaneServer(file, loaded.policy);
  if ("code" in opened) return serveRefusalsOnly(opened);
  const { policy, host, audit, serverEnv, warn, startPersonPanes } = opened;
  const connection = new Connection(policy.limits, policy.anomalies, policy.audit);
  const server = createServer(
    { policy, host, audit, connection, session: connection.id, serverEnv, warn, startPersonPanes },
    packageVersion(),
  );
  const { transport, input } = clientTransport(process.stdout, { audit, connection });
  process.stdin.pipe(input);

  let stopping: Promise<number> | undefined;
  const stop = (why: string): Promise<number> => {
    stopping ??= (async () => {
      // Refused calls folded past the connection's audit budget are accounted for before the log closes.
      const summary = connection.auditBudget.takeSummary(connection.id);
      await opened.stop(why, summary ? [summary] : []);
      await server.close().catch(() => {});
      return 0;
    })();
    return stopping;
  };
  const closed = whenStdioClosed(transport);
  await server.connect(transport);
  console.error(
    `ccmux: serving MCP on stdio (policy ${file}, audit ${policy.audit.path})${opened.postureLine}.`,
  );
  return stop(await closed);
}
