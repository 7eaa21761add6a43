import type { Pane } from "../embedded/pane.js";
import { JournalDamage } from "./journal-crypto.js";
import { journalPanes, PaneJournal, readJournal, shredJournal } from "./journal-store.js";
import { decodeSnapshot, encodeSnapshot, type PaneSnapshot } from "./pane-snapshot.js";

/** How often a pane whose screen changed is written again, at most (ms). */
export const JOURNAL_INTERVAL_MS = 1000;

/** A journal that did not open at a restart, and why (reported, never half-loaded). */
export interface DamagedJournal {
  pane: string;
  reason: string;
}

/**
 * The journals of a daemon's panes (issue 15): each agent pane's snapshot is written when the pane starts, at
 * most every `intervalMs` while its output changes, and as it exits; `forget` shreds it (kill_pane, eviction).
 * `restore` reads back every journal in the directory, at a daemon's start.
 */
export class PaneJournals {
  /** Journaled panes; a restored pane has no journal open (it is never written again, only shredded). */
  private readonly open = new Map<
    string,
    { journal?: PaneJournal; pane: Pane; dirty: boolean; busy: boolean }
  >();
  private readonly timer: NodeJS.Timeout;
  private readonly failures: Array<(paneId: string, error: Error) => void> = [];

  constructor(
    private readonly dir: string,
    private readonly master: Buffer,
    intervalMs = JOURNAL_INTERVAL_MS,
  ) {
    this.timer = setInterval(() => this.flushDirty(), intervalMs);
    this.timer.unref();
  }

  /** Calls `listener` when a journal cannot be written (the pane goes on, unjournaled from then). */
  onFailure(listener: (paneId: string, error: Error) => void): void {
    this.failures.push(listener);
  }

  /** Starts journaling `pane` (an agent pane with a process; a restored pane keeps the journal it has). */
  track(pane: Pane): void {
    if (pane.restored) {
      this.open.set(pane.id, { pane, dirty: false, busy: false });
      return;
    }
    if (pane.owner.kind !== "agent") return;
    let journal: PaneJournal;
    try {
      journal = PaneJournal.create(this.dir, pane.id, this.master);
    } catch (error) {
      this.fail(pane.id, error);
      return;
    }
    const entry = { journal, pane, dirty: true, busy: false };
    this.open.set(pane.id, entry);
    pane.on("output", () => {
      entry.dirty = true;
    });
    pane.on("exit", () => {
      entry.dirty = true;
      void this.write(pane.id);
    });
  }

  /** Writes `paneId`'s snapshot now (after any write under way), so that it holds the pane as it is. */
  async flush(paneId: string): Promise<void> {
    const entry = this.open.get(paneId);
    if (!entry?.journal) return;
    while (entry.busy) await new Promise((resolve) => setTimeout(resolve, 5));
    entry.dirty = true;
    await this.write(paneId);
  }

  /** Shreds `paneId`'s journal (killed or evicted): nothing of it can be read back after. */
  forget(paneId: string): void {
    const entry = this.open.get(paneId);
    this.open.delete(paneId);
    if (entry?.journal) entry.journal.shred();
    else shredJournal(this.dir, paneId);
  }

  /**
   * Every journal in the directory, opened: the snapshots that open whole, and the ones that do not (a damaged
   * journal is reported, and left on disk for `ccmux prune`).
   */
  restore(): { snapshots: PaneSnapshot[]; damaged: DamagedJournal[] } {
    const snapshots: PaneSnapshot[] = [];
    const damaged: DamagedJournal[] = [];
    for (const paneId of journalPanes(this.dir)) {
      try {
        const snapshot = decodeSnapshot(readJournal(this.dir, paneId, this.master));
        if (snapshot.id !== paneId) throw new JournalDamage("changed", "the journal names another pane");
        snapshots.push(snapshot);
      } catch (error) {
        damaged.push({ pane: paneId, reason: describe(error) });
      }
    }
    return { snapshots, damaged };
  }

  /** Writes what changed since the last write, then stops writing (the daemon stops; journals stay). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.open.keys()].map((id) => this.write(id)));
    this.open.clear();
  }

  private flushDirty(): void {
    for (const [id, entry] of this.open) if (entry.dirty && !entry.busy) void this.write(id);
  }

  private async write(paneId: string): Promise<void> {
    const entry = this.open.get(paneId);
    const journal = entry?.journal;
    if (!entry || !journal || entry.busy || !entry.dirty) return;
    entry.busy = true;
    entry.dirty = false;
    try {
      const snapshot = await snapshotOf(entry.pane);
      if (this.open.get(paneId) === entry) await journal.write(encodeSnapshot(snapshot));
    } catch (error) {
      this.open.delete(paneId);
      journal.shred();
      this.fail(paneId, error);
    } finally {
      entry.busy = false;
    }
    if (entry.dirty && this.open.get(paneId) === entry && !entry.pane.alive) void this.write(paneId);
  }

  private fail(paneId: string, error: unknown): void {
    for (const listener of this.failures)
      listener(paneId, error instanceof Error ? error : new Error(String(error)));
  }
}

/** The snapshot of a live (or just exited) pane. */
async function snapshotOf(pane: Pane): Promise<PaneSnapshot> {
  const { text, unread } = await pane.journalText();
  const size = pane.terminalSize;
  return {
    v: 1,
    id: pane.id,
    name: pane.name,
    argv: [...pane.argv],
    cwd: pane.cwd,
    owner: pane.owner,
    input: pane.input,
    ...(pane.shell ? { shell: pane.shell.dialect } : {}),
    sandboxed: pane.sandboxed,
    pid: pane.pid,
    cols: size.cols,
    rows: size.rows,
    exit: pane.exit,
    text,
    unread,
    takenAt: Date.now(),
  };
}

function describe(error: unknown): string {
  if (error instanceof JournalDamage) return `${error.kind}: ${error.message}`;
  if (error instanceof Error && "issues" in error) return "not a snapshot of this version";
  return error instanceof Error ? error.message : String(error);
}
