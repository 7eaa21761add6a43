import type { Pane } from "../embedded/pane.js";
import { JournalDamage } from "./journal-crypto.js";
import { journalPanes, PaneJournal, readJournal, shredJournal } from "./journal-store.js";
import { decodeSnapshot, encodeSnapshot, type PaneSnapshot } from "./pane-snapshot.js";

/** How often a pane whose screen changed is written again, at most (ms). */
export const JOURNAL_INTERVAL_MS = 1000;

/**
 * Snapshot bytes a second the journals write, at most, over all panes (exit and stop writes excepted): each write
 * waits until the bytes written before it have had their time at this rate. Security: an attack review's panes of megabytes of history, each changing one character every
 * 200 ms, made the daemon re-encrypt and rewrite 25 MB per pane per second, and every other session waited.
 */
export const JOURNAL_BYTES_PER_SECOND = 8 * 1024 * 1024;

/**
 * The largest journal a policy's panes can write: `scrollbackLines` rows and a screen, each row up to 400 cells of
 * up to 12 bytes (4-byte UTF-8 and combining marks, or JSON escapes), and room for the rest. A larger file in the
 * journal directory is damage and is not read.
 */
export function journalByteLimit(scrollbackLines: number): number {
  return (scrollbackLines + 1000) * 400 * 12 + (1 << 20);
}

/** A journal that did not open at a restart, and why (reported, never half-loaded). */
export interface DamagedJournal {
  pane: string;
  reason: string;
}

interface Entry {
  /** None for a restored pane: it is never written again, only shredded. */
  journal?: PaneJournal;
  pane: Pane;
  dirty: boolean;
  queued: boolean;
  /** When it may be written again (ms, performance.now): intervalMs after its last write. */
  notBefore: number;
}

/**
 * The journals of a daemon's panes (issue 15): each agent pane's snapshot is written when the pane starts, while
 * its output changes (at most every `intervalMs`, and all panes together no faster than JOURNAL_BYTES_PER_SECOND),
 * and as it exits; one write at a time. `forget` shreds it (kill_pane, eviction). `restore` reads back every journal
 * in the directory, at a daemon's start.
 */
export class PaneJournals {
  private readonly open = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;
  private readonly failures: Array<(paneId: string, error: Error) => void> = [];
  /** The writes, one after another. */
  private queue: Promise<void> = Promise.resolve();
  /** When the next paced write may start (ms, performance.now): the byte rate's clock over all panes. */
  private nextWriteAt = 0;
  private readonly intervalMs: number;
  private readonly maxBytes: number;

  constructor(
    private readonly dir: string,
    private readonly master: Buffer,
    options: { scrollbackLines: number; intervalMs?: number },
  ) {
    this.intervalMs = options.intervalMs ?? JOURNAL_INTERVAL_MS;
    this.maxBytes = journalByteLimit(options.scrollbackLines);
    this.timer = setInterval(() => this.flushDirty(), Math.min(this.intervalMs, 250));
    this.timer.unref();
  }

  /** Calls `listener` when a journal cannot be written (the pane goes on, unjournaled from then). */
  onFailure(listener: (paneId: string, error: Error) => void): void {
    this.failures.push(listener);
  }

  /** Starts journaling `pane` (an agent pane with a process; a restored pane keeps the journal it has). */
  track(pane: Pane): void {
    if (pane.restored) {
      this.open.set(pane.id, { pane, dirty: false, queued: false, notBefore: 0 });
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
    const entry: Entry = { journal, pane, dirty: true, queued: false, notBefore: 0 };
    this.open.set(pane.id, entry);
    pane.on("output", () => {
      entry.dirty = true;
    });
    pane.on("exit", () => {
      entry.dirty = true;
      void this.enqueue(entry);
    });
  }

  /** Writes `paneId`'s snapshot now (after the writes queued before it), so that it holds the pane as it is. */
  async flush(paneId: string): Promise<void> {
    const entry = this.open.get(paneId);
    if (!entry?.journal) return;
    entry.dirty = true;
    await this.enqueue(entry, true);
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
        const snapshot = decodeSnapshot(readJournal(this.dir, paneId, this.master, this.maxBytes));
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
    await Promise.all([...this.open.values()].map((entry) => this.enqueue(entry, true)));
    this.open.clear();
  }

  private flushDirty(): void {
    const now = performance.now();
    for (const entry of this.open.values()) {
      if (entry.dirty && !entry.queued && entry.notBefore <= now) void this.enqueue(entry);
    }
  }

  /**
   * Queues one write of `entry`; `urgent` (its exit, a flush, the daemon stopping): even before its time and
   * without waiting for the byte rate. Resolves once it is done.
   */
  private enqueue(entry: Entry, urgent = false): Promise<void> {
    if (!entry.journal || (entry.queued && !urgent)) return this.queue;
    entry.queued = true;
    this.queue = this.queue.then(() => this.write(entry, urgent));
    return this.queue;
  }

  private async write(entry: Entry, urgent: boolean): Promise<void> {
    const wait = this.nextWriteAt - performance.now();
    if (!urgent && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    entry.queued = false;
    const journal = entry.journal;
    if (!journal || !entry.dirty || this.open.get(entry.pane.id) !== entry) return;
    entry.dirty = false;
    try {
      const payload = encodeSnapshot(await snapshotOf(entry.pane));
      if (this.open.get(entry.pane.id) !== entry) return;
      await journal.write(payload);
      const now = performance.now();
      entry.notBefore = now + this.intervalMs;
      this.nextWriteAt = Math.max(now, this.nextWriteAt) + (payload.length / JOURNAL_BYTES_PER_SECOND) * 1000;
    } catch (error) {
      this.open.delete(entry.pane.id);
      journal.shred();
      this.fail(entry.pane.id, error);
    }
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
