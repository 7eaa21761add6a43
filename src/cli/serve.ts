import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { AuditLog } from "../audit/audit-log.js";
import { Redactor } from "../audit/redact.js";
import { CcmuxError, isCcmuxError } from "../errors.js";
import { LocalScreens } from "../panes/local-screens.js";
import { PaneHost } from "../panes/pane-host.js";
import { EMULATED_TERM } from "../panes/pane-screen.js";
import type { PaneSandbox } from "../panes/sandbox/pane-sandbox.js";
import type { ScreenFactory } from "../panes/screen-port.js";
import { WorkerScreens } from "../panes/worker-screens.js";
import { oneSendAtATime } from "../shared/one-send-at-a-time.js";
import { Connection } from "../tools/connection.js";
import { createServer } from "../tools/create-server.js";
import { DEFAULT_COLS, DEFAULT_ROWS } from "../tools/pane-fields.js";
import { isInside } from "../validation/canonical-path.js";
import { buildChildEnv, isSecretName, isSecretValue } from "../validation/env-filter.js";
import type { CompiledPolicy } from "../validation/policy-compile.js";
import { decideSandbox } from "../validation/sandbox-mode.js";
import { stateDir } from "./paths.js";
import { formatPolicyErrors, loadPolicy, locatePolicy, noPolicyMessage } from "./policy-file.js";
import { makeSandbox, paneUserSwitch, paneUserWarnings, sandboxWarnings } from "./sandbox-setup.js";
import { packageVersion } from "./version.js";

/** `ccmux serve`: the MCP server over stdio. Returns the exit code once the client goes away. */
export async function serve(options: { config?: string }): Promise<number> {
  const file = locatePolicy(options.config, { workingDirectory: false });
  if (file === undefined) {
    console.error(noPolicyMessage());
    return 2;
  }
  let policy: CompiledPolicy;
  try {
    policy = loadPolicy(file);
  } catch (error) {
    if (isCcmuxError(error) && error.code === "POLICY_INVALID") {
      console.error(`ccmux: the policy does not validate; not starting.`);
      for (const line of formatPolicyErrors(file, error)) console.error(`  ${line}`);
      return 2;
    }
    throw error;
  }
  for (const warning of [...policy.warnings, ...sandboxWarnings(policy, file)]) {
    console.error(`ccmux: warning: ${warning}`);
  }
  const logDir = dirname(policy.audit.path);
  // Security: a mount covers only the log file present when a pane starts; after a rotation the live log
  // there would be a new, uncovered file a pane could read (what the agent typed) and truncate.
  if (policy.sandbox.mode !== "off" && policy.workspace.includes(logDir)) {
    console.error(
      `ccmux: the audit log ${policy.audit.path} lies directly in workspace root ${logDir}, where a pane could read and erase it once it rotates; put it outside the workspace (the default, under $XDG_STATE_HOME) or in a directory of its own, which panes then do not see. Not starting.`,
    );
    return 2;
  }
  if (policy.workspace.some((root) => isInside(policy.audit.path, root))) {
    console.error(
      policy.sandbox.mode === "off"
        ? "ccmux: warning: the audit log is inside the workspace, where pane processes can write to it."
        : `ccmux: warning: the audit log is inside the workspace: its directory ${logDir} is hidden from panes.`,
    );
  }

  const session = `s-${randomBytes(6).toString("hex")}`;
  const serverEnv = process.env;
  const redactor = new Redactor({
    isSecretName,
    secretValues: [
      ...Object.entries(serverEnv)
        .filter(([name, value]) => value !== undefined && isSecretName(name))
        .map(([, value]) => value as string),
      // Security: a token the person fixed in env.set reaches panes; one the agent reads there and types back
      // (or passes in a command line) is redacted in the log like a server secret.
      ...Object.entries(policy.env.set)
        .filter(([name, value]) => isSecretName(name) || isSecretValue(value))
        .map(([, value]) => value),
    ],
  });
  let audit: AuditLog;
  try {
    const { path, ...options } = policy.audit;
    audit = AuditLog.open(path, session, redactor, options);
  } catch (error) {
    console.error(`ccmux: ${(error as Error).message} Not starting without an audit log.`);
    return 2;
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
    console.error(`ccmux: ${(error as Error).message} Not starting.`);
    return 2;
  }
  if (!userSwitch && policy.sandbox.user !== undefined) {
    console.error(
      "ccmux: warning: sandbox.user is ignored: the server is not root, so panes run as its own user.",
    );
  }
  if (userSwitch) {
    const { name, uid } = userSwitch.user;
    console.error(`ccmux: the server runs as root; panes run as ${name} (uid ${uid}) (sandbox.user).`);
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
  console.error(`ccmux: ${posture.message}`);
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
  startPersonPanes(policy, host, serverEnv, logAudit, warn);

  const connection = new Connection(policy.limits, policy.anomalies, policy.audit);
  const server = createServer(
    { policy, host, audit, connection, serverEnv, sessionBase, warn },
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
  const closed = new Promise<string>((resolve) => {
    transport.onclose = () => resolve("the client closed the connection");
    process.stdin.once("end", () => resolve("stdin closed"));
    // Persistent handlers: a second signal during shutdown must not kill us before the panes are gone.
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => resolve(signal));
  });
  await server.connect(transport);
  console.error(`ccmux: serving MCP on stdio (policy ${file}, audit ${policy.audit.path}).`);
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
): { message: string; record: Record<string, unknown> } {
  const mode = policy.sandbox.mode;
  if (mode === "off") {
    return {
      message: "WARNING: sandbox.mode is off: panes run UNSANDBOXED with the server's privileges.",
      record: { mode, available: false },
    };
  }
  const status = host.sandboxStatus();
  if (status.available) {
    const network = policy.sandbox.network ? "with network" : "without network";
    return {
      message: `panes run in the bubblewrap sandbox (${network}).`,
      record: { mode, available: true },
    };
  }
  const consequence =
    mode === "required"
      ? "every spawn will be refused with SANDBOX_UNAVAILABLE (sandbox.mode required)"
      : "panes will run UNSANDBOXED (sandbox.mode auto)";
  return {
    message: `WARNING: the pane sandbox is unavailable: ${status.reason}; ${consequence}. See \`ccmux doctor\`.`,
    record: { mode, available: false, reason: status.reason },
  };
}

function startPersonPanes(
  policy: CompiledPolicy,
  host: PaneHost,
  serverEnv: NodeJS.ProcessEnv,
  logAudit: (record: Parameters<AuditLog["write"]>[0]) => void,
  warn: (message: string) => void,
): void {
  for (const spec of policy.panes) {
    try {
      const sandbox = decideSandbox(policy.sandbox.mode, () => host.sandboxStatus());
      if (sandbox.warning) warn(`person pane "${spec.name}": ${sandbox.warning}`);
      if (
        sandbox.sandboxed &&
        isInside(spec.cwd, "/tmp") &&
        !policy.workspace.some((r) => isInside(spec.cwd, r))
      ) {
        // Every sandbox has its own empty /tmp: the directory would not exist for the pane.
        throw new CcmuxError(
          "SPAWN_FAILED",
          `its cwd ${spec.cwd} is under /tmp, which is private in the sandbox`,
        );
      }
      const env = buildChildEnv({
        serverEnv,
        pass: policy.env.pass,
        passSecrets: policy.env.passSecrets,
        fromAgent: [],
        agentEnv: undefined,
        set: policy.env.set,
        term: EMULATED_TERM,
      });
      const pane = host.spawn(
        {
          name: spec.name,
          argv: spec.argv,
          cwd: spec.cwd,
          env,
          cols: spec.cols ?? DEFAULT_COLS,
          rows: spec.rows ?? DEFAULT_ROWS,
          scrollback: policy.limits.scrollbackLines,
          owner: { kind: "person", access: spec.access },
          input: spec.input,
        },
        { sandboxed: sandbox.sandboxed },
      );
      logAudit({
        event: "start",
        decision: "info",
        pane: pane.id,
        pid: pane.pid,
        name: spec.name,
        argv: spec.argv,
        sandboxed: pane.sandboxed,
        ...(sandbox.warning ? { warning: sandbox.warning } : {}),
      });
    } catch (error) {
      const code = error instanceof CcmuxError ? error.code : "INTERNAL";
      console.error(`ccmux: person pane "${spec.name}" did not start: ${(error as Error).message}`);
      logAudit({
        event: "start",
        decision: "error",
        name: spec.name,
        code,
        reason: (error as Error).message,
      });
    }
  }
}
