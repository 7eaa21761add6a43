import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { AuditLog } from "../audit/audit-log.js";
import { LocalScreens } from "../panes/local-screens.js";
import { PaneHost } from "../panes/pane-host.js";
import type { PaneSandbox } from "../panes/sandbox/pane-sandbox.js";
import type { ScreenFactory } from "../panes/screen-port.js";
import { WorkerScreens } from "../panes/worker-screens.js";
import { oneSendAtATime } from "../shared/one-send-at-a-time.js";
import { Connection } from "../tools/connection.js";
import { createServer } from "../tools/create-server.js";
import { isInside } from "../validation/canonical-path.js";
import type { CompiledPolicy } from "../validation/policy-compile.js";
import { auditRedactor } from "./audit-redactor.js";
import { stateDir } from "./paths.js";
import { personPanesOnFirstUse } from "./person-panes.js";
import { findPolicy, formatProblems, readPolicy } from "./policy-file.js";
import { makeSandbox, paneUserSwitch, paneUserWarnings, sandboxWarnings } from "./sandbox-setup.js";
import { serveRefusalsOnly } from "./serve-refusals-only.js";
import { whenStdioClosed } from "./stdio-closed.js";
import { packageVersion } from "./version.js";

/**
 * `ccmux serve`: the MCP server over stdio. Returns the exit code once the client goes away. A missing or
 * broken policy still answers the client, with every problem (see serve-refusals-only.ts).
 */
export async function serve(options: { config?: string }): Promise<number> {
  const found = findPolicy(options.config);
  if (found.file === undefined) {
    return serveRefusalsOnly({
      code: "POLICY_INVALID",
      what: "no policy",
      file: undefined,
      problems: [found.problem],
      warnings: [],
      audit: undefined,
    });
  }
  const file = found.file;
  if (found.note !== undefined) console.error(`ccmux: ${found.note}.`);
  const load = readPolicy(file);
  if (!load.ok) {
    return serveRefusalsOnly({
      code: "POLICY_INVALID",
      what: "the policy does not validate",
      file,
      problems: formatProblems(file, load.problems),
      warnings: load.warnings,
      audit: load.audit,
    });
  }
  const policy = load.policy;
  for (const warning of [...policy.warnings, ...sandboxWarnings(policy, file)]) {
    console.error(`ccmux: warning: ${warning}`);
  }
  const logDir = dirname(policy.audit.path);
  if (policy.workspace.some((root) => isInside(policy.audit.path, root))) {
    console.error(
      policy.sandbox.mode === "off"
        ? "ccmux: warning: the audit log is inside the workspace, where pane processes can write to it."
        : `ccmux: warning: the audit log is inside the workspace: its directory ${logDir} is hidden from panes.`,
    );
  }

  const session = `s-${randomBytes(6).toString("hex")}`;
  const serverEnv = process.env;
  const redactor = auditRedactor(serverEnv, policy);
  let audit: AuditLog;
  const { path: auditPath, ...auditOptions } = policy.audit;
  try {
    audit = AuditLog.open(auditPath, session, redactor, auditOptions);
  } catch (error) {
    return serveRefusalsOnly({
      code: "AUDIT_UNAVAILABLE",
      what: "the audit log cannot be opened",
      file,
      problems: [(error as Error).message],
      warnings: [],
      audit: undefined,
    });
  }
  const logAudit = (record: Parameters<AuditLog["write"]>[0]): void => {
    try {
      audit.write(record);
    } catch (error) {
      console.error(`ccmux: ${(error as Error).message}`);
    }
  };

  let sessionBase = join(stateDir(), "sessions");
  let sandbox: PaneSandbox | undefined;
  let userSwitch: ReturnType<typeof paneUserSwitch>;
  try {
    userSwitch = paneUserSwitch(policy, serverEnv);
    if (userSwitch) sessionBase = searchableSessionBase();
    sandbox =
      policy.sandbox.mode === "off"
        ? undefined
        : makeSandbox(policy, file, sessionBase, serverEnv, userSwitch);
  } catch (error) {
    // The refusals are written to the log by the server that serves them, which opens it again.
    audit.close();
    return serveRefusalsOnly({
      code: "SANDBOX_UNAVAILABLE",
      what: "the panes cannot be set up safely",
      file,
      problems: [(error as Error).message],
      warnings: [],
      audit: { path: auditPath, options: auditOptions },
    });
  }
  if (!userSwitch && policy.sandbox.user !== undefined) {
    console.error(
      "ccmux: warning: sandbox.user is ignored: the server is not root, so panes run as its own user.",
    );
  }
  if (userSwitch) {
    for (const warning of paneUserWarnings(policy, userSwitch.user))
      console.error(`ccmux: warning: ${warning}.`);
  }
  const host = new PaneHost(
    {
      maxPanes: policy.limits.maxPanes,
      maxExitedPanes: policy.limits.maxExitedPanes,
      maxProcesses: policy.limits.maxProcesses,
    },
    startScreens(),
    sandbox,
    // The server starts no asynchronous child processes of its own, so it may adopt and reap panes' orphans.
    { adoptOrphans: true, userSwitch },
  );
  host.on("exit", (pane, exit) =>
    logAudit({ event: "exit", decision: "info", pane: pane.id, pid: pane.pid, ...exit }),
  );
  host.on("evict", (pane) => logAudit({ event: "evict", decision: "info", pane: pane.id, pid: pane.pid }));
  host.on("orphan-limit", (processes, limit, panes) => {
    const reason = `${processes} detached processes of no known pane (limit ${limit}): killed`;
    console.error(`ccmux: WARNING: security (high): process-limit: ${reason}`);
    logAudit({
      event: "security",
      decision: "info",
      rule: "process-limit",
      severity: "high",
      reason,
      detail: { processes, limit, panes: panes.map((pane) => pane.id) },
    });
  });
  host.on("limit", (pane, processes, limit) => {
    const reason = `pane ${pane.id} held ${processes} processes (limit ${limit}): killed`;
    console.error(`ccmux: WARNING: security (high): process-limit: ${reason}`);
    logAudit({
      event: "security",
      decision: "info",
      rule: "process-limit",
      severity: "high",
      pane: pane.id,
      pid: pane.pid,
      reason,
      detail: { processes, limit },
    });
  });
  const posture = sandboxPosture(policy, host);
  // A warning is a line of its own; otherwise the posture is part of the one line that says serve is up.
  if (posture.warning) console.error(`ccmux: ${posture.message}`);
  logAudit({
    event: "start",
    decision: "info",
    policy: file,
    version: packageVersion(),
    pid: process.pid,
    sandbox: posture.record,
    ...(userSwitch ? { paneUser: { name: userSwitch.user.name, uid: userSwitch.user.uid } } : {}),
  });
  const warn = (message: string): void => console.error(`ccmux: WARNING: ${message}`);
  // Person panes start with the first tool call, not here: a health check that only lists tools starts none.
  const startPersonPanes = personPanesOnFirstUse({ policy, host, serverEnv, logAudit, warn });

  const connection = new Connection(policy.limits, policy.anomalies, policy.audit);
  const server = createServer(
    { policy, host, audit, connection, serverEnv, sessionBase, warn, startPersonPanes },
    packageVersion(),
  );
  const transport = oneSendAtATime(new StdioServerTransport());

  let stopping: Promise<number> | undefined;
  const stop = (why: string): Promise<number> => {
    stopping ??= (async () => {
      await host.shutdown();
      // Refused calls folded past the connection's audit budget are accounted for before the log closes.
      const summary = connection.auditBudget.takeSummary(connection.id);
      if (summary) logAudit(summary);
      logAudit({ event: "stop", decision: "info", reason: why });
      audit.close();
      sandbox?.dispose();
      if (userSwitch) removeIfEmpty(sessionBase);
      await server.close().catch(() => {});
      return 0;
    })();
    return stopping;
  };
  const closed = whenStdioClosed(transport);
  await server.connect(transport);
  console.error(
    `ccmux: serving MCP on stdio (policy ${file}, audit ${policy.audit.path})${posture.warning ? "" : `; ${posture.message}`}${userSwitch ? `; the server runs as root; panes run as ${userSwitch.user.name} (uid ${userSwitch.user.uid}) (sandbox.user)` : ""}.`,
  );
  return stop(await closed);
}

/**
 * Session directories of a root server's panes: root's own state directory is closed to the pane user, so
 * they live in a fresh directory that user may pass through (0711: search, no listing) but not read or change;
 * each session directory inside is 0700 and the pane user's. Made with mkdtemp, so nobody can plant it
 * beforehand; hidden from sandboxed panes like the state directory; removed at stop unless a kept session
 * directory is still in it.
 */
function searchableSessionBase(): string {
  const base = mkdtempSync("/var/tmp/ccmux-sessions-");
  chmodSync(base, 0o711);
  return base;
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // kept session directories remain, and so does their base
  }
}

/** The screen thread, so parsing runs beside pty reading; this thread if a worker cannot start. */
function startScreens(): ScreenFactory {
  try {
    return new WorkerScreens();
  } catch (error) {
    console.error(
      `ccmux: warning: no screen thread (${(error as Error).message}); parsing on the main thread.`,
    );
    return new LocalScreens();
  }
}

/** What the person must know about confinement at start, for stderr and the audit log. */
function sandboxPosture(
  policy: CompiledPolicy,
  host: PaneHost,
): { message: string; warning: boolean; record: Record<string, unknown> } {
  const mode = policy.sandbox.mode;
  if (mode === "off") {
    return {
      message: "WARNING: sandbox.mode is off: panes run UNSANDBOXED with the server's privileges.",
      warning: true,
      record: { mode, available: false },
    };
  }
  const status = host.sandboxStatus();
  if (status.available) {
    const network = policy.sandbox.network ? "with network" : "without network";
    return {
      message: `panes run in the bubblewrap sandbox (${network})`,
      warning: false,
      record: { mode, available: true },
    };
  }
  const consequence =
    mode === "required"
      ? "every spawn will be refused with SANDBOX_UNAVAILABLE (sandbox.mode required)"
      : "panes will run UNSANDBOXED (sandbox.mode auto)";
  return {
    message: `WARNING: the pane sandbox is unavailable: ${status.reason}; ${consequence}. See \`ccmux doctor\`.`,
    warning: true,
    record: { mode, available: false, reason: status.reason },
  };
}
