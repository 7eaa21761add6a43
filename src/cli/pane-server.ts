import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { AuditLog, type AuditRecord } from "../audit/audit-log.js";
import { addon } from "../native/addon.js";
import { EmbeddedPaneHost } from "../panes/embedded/embedded-pane-host.js";
import type { PaneJournals } from "../panes/journal/pane-journals.js";
import { LocalScreens } from "../panes/local-screens.js";
import type { PaneHost } from "../panes/pane-host.js";
import type { PaneSandbox } from "../panes/sandbox/pane-sandbox.js";
import type { ScreenFactory } from "../panes/screen-port.js";
import { WorkerScreens } from "../panes/worker-screens.js";
import { isInside } from "../validation/canonical-path.js";
import type { CompiledPolicy } from "../validation/policy-compile.js";
import { auditRedactor } from "./audit-redactor.js";
import { openPaneJournals } from "./pane-journals-setup.js";
import { stateDir } from "./paths.js";
import { personPanesOnFirstUse } from "./person-panes.js";
import { makeSandbox, paneUserSwitch, paneUserWarnings, sandboxWarnings } from "./sandbox-setup.js";
import type { NotServing } from "./serve-refusals-only.js";
import { packageVersion } from "./version.js";

/**
 * Everything a server of one policy shares across its connections: the audit log, the pane host (sandbox, pane
 * user, screen thread), the person panes. `ccmux serve` has one connection; the daemon many.
 */
export interface PaneServer {
  readonly file: string;
  readonly policy: CompiledPolicy;
  readonly host: PaneHost;
  readonly audit: AuditLog;
  /** Writes one record; a failure to write is reported on stderr, not thrown. */
  readonly logAudit: (record: AuditRecord) => void;
  readonly serverEnv: NodeJS.ProcessEnv;
  readonly warn: (message: string) => void;
  readonly startPersonPanes: () => Promise<void>;
  /** The end of the line that says the server is up: sandbox posture and pane user. */
  readonly postureLine: string;
  /** Kills every pane, writes `records` and the stop record, closes the log. */
  stop(why: string, records?: readonly AuditRecord[]): Promise<void>;
}

/**
 * Opens the audit log and the pane host for `policy` (read from `file`), reporting warnings on stderr and
 * writing the start record (with `start`'s extra fields). Returns what keeps it from serving instead
 * (AUDIT_UNAVAILABLE, SANDBOX_UNAVAILABLE), having left nothing open.
 */
export function openPaneServer(
  file: string,
  policy: CompiledPolicy,
  start: Record<string, unknown> = {},
): PaneServer | NotServing {
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

  const runId = `s-${randomBytes(6).toString("hex")}`;
  const serverEnv = process.env;
  const redactor = auditRedactor(serverEnv, policy);
  let audit: AuditLog;
  const { path: auditPath, ...auditOptions } = policy.audit;
  try {
    audit = AuditLog.open(auditPath, runId, redactor, auditOptions);
  } catch (error) {
    return {
      code: "AUDIT_UNAVAILABLE",
      what: "the audit log cannot be opened",
      file,
      problems: [(error as Error).message],
      warnings: [],
      audit: undefined,
    };
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
    return {
      code: "SANDBOX_UNAVAILABLE",
      what: "the panes cannot be set up safely",
      file,
      problems: [(error as Error).message],
      warnings: [],
      audit: { path: auditPath, options: auditOptions },
    };
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
  const warnEarly = (message: string): void => console.error(`ccmux: WARNING: ${message}`);
  const kept = openPaneJournals(policy, { file, daemon: start.daemon === true, warn: warnEarly, logAudit });
  // Security: panes must not inherit the keyring session this server was started in (the master key was loaded
  // above, and a login's session keyring holds the user's other keys too): a root daemon's unsandboxed pane,
  // running as nobody, read root's master key through it (an attack review). Sandboxed panes cannot call keyctl.
  addon.keyringNewSession();
  const host = new EmbeddedPaneHost(
    {
      maxPanes: policy.limits.maxPanes,
      maxExitedPanes: policy.limits.maxExitedPanes,
      maxProcesses: policy.limits.maxProcesses,
    },
    startScreens(),
    sandbox,
    // The server starts no asynchronous child processes of its own, so it may adopt and reap panes' orphans.
    {
      adoptOrphans: true,
      userSwitch,
      sessionBase,
      spares: true,
      ...(kept ? { journals: kept.journals } : {}),
    },
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
  // After the listeners: a restart that evicts restored panes writes their evict records.
  if (kept) restorePanes(host, kept.journals, { warn: warnEarly, logAudit });
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
    ...start,
    ...(userSwitch ? { paneUser: { name: userSwitch.user.name, uid: userSwitch.user.uid } } : {}),
  });
  const warn = (message: string): void => console.error(`ccmux: WARNING: ${message}`);
  // Person panes start with the first tool call, not here: a health check that only lists tools starts none.
  const startPersonPanes = personPanesOnFirstUse({ policy, host, serverEnv, logAudit, warn });

  const postureLine = `${posture.warning ? "" : `; ${posture.message}`}${userSwitch ? `; the server runs as root; panes run as ${userSwitch.user.name} (uid ${userSwitch.user.uid}) (sandbox.user)` : ""}`;
  let stopping: Promise<void> | undefined;
  const stop = (why: string, records: readonly AuditRecord[] = []): Promise<void> => {
    stopping ??= (async () => {
      await host.shutdown();
      for (const record of records) logAudit(record);
      logAudit({ event: "stop", decision: "info", reason: why });
      audit.close();
      sandbox?.dispose();
      if (userSwitch) removeIfEmpty(sessionBase);
    })();
    return stopping;
  };
  return { file, policy, host, audit, logAudit, serverEnv, warn, startPersonPanes, postureLine, stop };
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

/**
 * Brings back the panes whose journals a previous daemon left (issue 15): they list as exited, reason "daemon
 * restarted". A journal that does not open whole is reported (stderr, audit) and left for `ccmux prune`.
 */
function restorePanes(
  host: EmbeddedPaneHost,
  journals: PaneJournals,
  report: { warn: (message: string) => void; logAudit: (record: AuditRecord) => void },
): void {
  const started = performance.now();
  const { snapshots, damaged } = journals.restore();
  const restored = host.restore(snapshots);
  const elapsedMs = Math.round(performance.now() - started);
  if (restored.length > 0 || damaged.length > 0) {
    report.logAudit({
      event: "journal",
      decision: "info",
      reason: "daemon restarted",
      detail: { restored, damaged, elapsedMs },
    });
  }
  for (const { pane, reason } of damaged) {
    report.warn(`security (high): journal-damaged: pane ${pane}'s history was not restored: ${reason}`);
  }
}
