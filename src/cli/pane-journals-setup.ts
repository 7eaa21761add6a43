import { closeSync, lstatSync } from "node:fs";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-log.js";
import { journalKey } from "../daemon/policy-hash.js";
import {
  ensureJournalDir,
  journalPanes,
  lockJournalDir,
  shredJournal,
} from "../panes/journal/journal-store.js";
import { loadMasterKey, type MasterKey } from "../panes/journal/master-key.js";
import { PaneJournals } from "../panes/journal/pane-journals.js";
import { currentUid, privacyProblem } from "../shared/owner-check.js";
import type { CompiledPolicy } from "../validation/policy-compile.js";
import { stateDir } from "./paths.js";

/** Where pane journals live: $XDG_STATE_HOME/ccmux/panes (0700), with the master key file when there is one. */
export function journalRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), "panes");
}

/**
 * The journals of the daemon of `policyFile`: a directory (0700) under journalRoot named by the policy file's
 * realpath (journalKey: one daemon per policy file), so two daemons never restore each other's panes.
 */
export function journalDir(policyFile: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(journalRoot(env), journalKey(policyFile));
}

/** Whether a server keeps pane history: policy `persist.scrollback`, by default on for the daemon only. */
export function keepsScrollback(policy: CompiledPolicy, daemon: boolean): boolean {
  return policy.persist.scrollback ?? daemon;
}

/**
 * The pane journals of a server that keeps pane history (issue 15), or none. A key or directory that cannot be
 * trusted (loose modes, another owner, a symlink) is refused: the server then keeps no history, says so on
 * stderr and in a `security` audit record, and serves on.
 */
export function openPaneJournals(
  policy: CompiledPolicy,
  options: {
    file: string;
    daemon: boolean;
    warn: (message: string) => void;
    logAudit: (record: AuditRecord) => void;
  },
): { journals: PaneJournals; master: MasterKey } | undefined {
  const dir = journalDir(options.file);
  if (!keepsScrollback(policy, options.daemon)) {
    // What the policy says is not kept goes: journals an earlier daemon of this policy left. (Only a daemon:
    // `serve` beside a running daemon of the same policy must not touch its journals.)
    if (options.daemon) discardJournals(dir);
    return undefined;
  }
  let master: MasterKey;
  try {
    ensureJournalDir(journalRoot());
    ensureJournalDir(dir);
    // Held for the daemon's life (the descriptor is never closed): one daemon per journal directory.
    if (lockJournalDir(dir) === undefined) {
      throw new Error(`another daemon of this policy keeps its panes' history in ${dir}`);
    }
    master = loadMasterKey({ stateDir: journalRoot(), prefer: policy.persist.masterKey });
  } catch (error) {
    const reason = `pane history is not kept: ${(error as Error).message}`;
    options.warn(`security (high): journal-key: ${reason}`);
    options.logAudit({ event: "security", decision: "info", rule: "journal-key", severity: "high", reason });
    return undefined;
  }
  const journals = new PaneJournals(dir, master.key, { scrollbackLines: policy.limits.scrollbackLines });
  journals.onFailure((pane, error) => {
    const reason = `pane ${pane}'s history is no longer kept: ${error.message}`;
    options.warn(reason);
    options.logAudit({ event: "journal", decision: "info", pane, reason });
  });
  return { journals, master };
}

/**
 * Shreds every journal in `dir` unless a daemon holds its lock (then returns false and touches nothing): a
 * daemon whose policy keeps no history, and `ccmux prune`.
 */
export function discardJournals(dir: string): { running: boolean; panes: string[] } {
  let lock: number | undefined;
  try {
    // Never through a symlink or into a directory that is not ours and private.
    if (privacyProblem(lstatSync(dir), dir, "directory", currentUid())) return { running: false, panes: [] };
    lock = lockJournalDir(dir);
  } catch {
    return { running: false, panes: [] };
  }
  if (lock === undefined) return { running: true, panes: [] };
  try {
    const panes = journalPanes(dir);
    for (const pane of panes) shredJournal(dir, pane);
    return { running: false, panes };
  } finally {
    closeSync(lock);
  }
}
