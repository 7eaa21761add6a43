import type { AuditRecord } from "../audit/audit-log.js";
import { CcmuxError } from "../errors.js";
import type { PaneHost } from "../panes/pane-host.js";
import { PANE_TERM } from "../shared/pane-words.js";
import { DEFAULT_COLS, DEFAULT_ROWS } from "../tools/pane-fields.js";
import { isInside } from "../validation/canonical-path.js";
import { buildChildEnv } from "../validation/env-filter.js";
import type { CompiledPolicy } from "../validation/policy-compile.js";
import { decideSandbox } from "../validation/sandbox-mode.js";

/** What starting person panes needs from `serve`. */
export interface PersonPaneDeps {
  policy: CompiledPolicy;
  host: PaneHost;
  serverEnv: NodeJS.ProcessEnv;
  /** Writes one audit record (a failure to write is reported, not thrown). */
  logAudit: (record: AuditRecord) => void;
  /** Tells the person something on stderr. */
  warn: (message: string) => void;
}

/**
 * The policy's person panes (`panes`), started on first use: the returned function starts them all the first
 * time it is called; every call resolves once they have started (or failed to). `serve` hands it to the tool registry, which calls it before
 * every tool call. A client that only connects, initializes and lists tools — `claude mcp list`'s health check,
 * the Inspector opening — starts no process. Each pane's start is audited (`start`, `info` or `error`); a pane
 * that cannot start is reported on stderr and does not stop the others.
 */
export function personPanesOnFirstUse(deps: PersonPaneDeps): () => Promise<void> {
  let started: Promise<void> | undefined;
  return () => {
    started ??= startPersonPanes(deps);
    return started;
  };
}

async function startPersonPanes({ policy, host, serverEnv, logAudit, warn }: PersonPaneDeps): Promise<void> {
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
        term: PANE_TERM,
      });
      const { pane } = await host.spawn({
        name: spec.name,
        argv: spec.argv,
        cwd: spec.cwd,
        env,
        cols: spec.cols ?? DEFAULT_COLS,
        rows: spec.rows ?? DEFAULT_ROWS,
        scrollback: policy.limits.scrollbackLines,
        owner: { kind: "person", access: spec.access },
        input: spec.input,
        sandboxed: sandbox.sandboxed,
      });
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
