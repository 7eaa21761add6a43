import { Worker } from "node:worker_threads";

const SCRIPT = new URL("./regex-thread.js", import.meta.url);
/** Heap of one matcher thread: a 256 KB window, its sanitized copy and RE2's state fit many times over. */
const MATCHER_HEAP_MB = 128;
/**
 * Patterns one matcher thread serves. A thread costs about 10 MiB of the server's memory whatever it does: one
 * per wait made 32 pending regex waits (the default maxWaiters) 325 MiB. Patterns on one thread take turns, so
 * a costly pattern's checks delay the others on its thread; only waits of one group (one connection) share.
 */
export const PATTERNS_PER_THREAD = 8;
/** How long after a wait took the spare thread another is started, if none came back by then (ms). */
const REFILL_DELAY_MS = 500;

/** What a matcher thread answers (regex-thread.ts), each message about pattern `id`. */
export type FromMatcherThread =
  | { id: number; compiling: true }
  | { id: number; ready: true }
  | { id: number; refused: { code?: string; message: string } }
  | { id: number; check: number; matched: boolean; excerpt?: string };

/** What a matcher thread is told. */
export type ToMatcherThread =
  | { id: number; pattern: string }
  | { id: number; check: number; text: string; excerpt: boolean }
  | { id: number; drop: true };

/** A pattern a matcher thread serves (RegexMatcher). */
export interface ThreadTenant {
  readonly id: number;
  /** An answer about this tenant's pattern. */
  onMessage(message: FromMatcherThread): void;
  /**
   * The thread is gone from under the tenant: `error` when it died (an uncaught error, out of memory), undefined
   * when it was stopped for another tenant (its check was cut off): the tenant then moves to another thread.
   */
  onThreadLost(error: Error | undefined): void;
}

/** One matcher thread and the patterns it serves, all of one group. */
export class MatcherThread {
  readonly tenants = new Map<number, ThreadTenant>();
  /** The group whose waits it serves; undefined while it is the spare. */
  group: object | undefined;
  /** Terminated on purpose (stopThread): its tenants have moved, its exit concerns no one. */
  private stopped = false;
  private lastError: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on("message", (message: FromMatcherThread) => this.tenants.get(message.id)?.onMessage(message));
    worker.on("error", (error) => {
      this.lastError = error;
    });
    worker.once("exit", (code) => {
      threads.delete(this);
      if (spare === this) spare = undefined;
      if (this.stopped) return;
      const error = this.lastError ?? new Error(`the matcher thread exited (code ${code})`);
      const lost = [...this.tenants.values()];
      this.tenants.clear();
      for (const tenant of lost) tenant.onThreadLost(error);
    });
  }

  /** The worker's id (tests tell threads apart by it). */
  get threadId(): number {
    return this.worker.threadId;
  }

  post(message: ToMatcherThread): void {
    if (!this.stopped) this.worker.postMessage(message);
  }

  /** Ends the thread now; its tenants move to other threads (onThreadLost). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    threads.delete(this);
    if (spare === this) spare = undefined;
    void this.worker.terminate();
    const moving = [...this.tenants.values()];
    this.tenants.clear();
    for (const tenant of moving) tenant.onThreadLost(undefined);
  }
}

/** Threads serving a group's patterns. */
const threads = new Set<MatcherThread>();
/**
 * One idle thread, kept for the next wait: starting a thread costs tens of milliseconds of CPU, which every regex
 * wait_for paid before its first check (and it competed with the spawn the wait was for). A thread whose last
 * pattern left cleanly becomes it; when a wait took it, another is started REFILL_DELAY_MS later unless one came
 * back meanwhile. It keeps nothing alive (unref'd).
 */
let spare: MatcherThread | undefined;
let refill: NodeJS.Timeout | undefined;

function startThread(): MatcherThread {
  return new MatcherThread(
    new Worker(SCRIPT, { resourceLimits: { maxOldGenerationSizeMb: MATCHER_HEAP_MB } }),
  );
}

/**
 * A thread for one more pattern of `group`: the least busy of the group's threads while one serves fewer than
 * PATTERNS_PER_THREAD, else the spare or a new thread. The caller adds itself to `tenants`.
 * Security: threads are never shared between groups, so one connection's costly pattern delays only its own
 * waits, and a thread stopped in the middle of a check (stop) is never used again.
 */
export function threadFor(group: object): MatcherThread {
  let best: MatcherThread | undefined;
  for (const thread of threads) {
    if (thread.group !== group || thread.tenants.size >= PATTERNS_PER_THREAD) continue;
    if (best === undefined || thread.tenants.size < best.tenants.size) best = thread;
  }
  if (best) return best;
  const thread = spare ?? startThread();
  spare = undefined;
  thread.group = group;
  threads.add(thread);
  if (refill === undefined) {
    refill = setTimeout(() => {
      refill = undefined;
      spare ??= startThread();
    }, REFILL_DELAY_MS).unref();
  }
  return thread;
}

/**
 * `tenant` leaves `thread`. `clean`: its pattern compiled and no check of it is running or queued, so the thread
 * forgets the pattern and serves on (an empty thread becomes the spare, or ends); otherwise the thread is stopped
 * and its other tenants move.
 */
export function leaveThread(thread: MatcherThread, tenant: ThreadTenant, clean: boolean): void {
  if (thread.tenants.get(tenant.id) !== tenant) return;
  thread.tenants.delete(tenant.id);
  if (!clean) {
    thread.stop();
    return;
  }
  thread.post({ id: tenant.id, drop: true });
  if (thread.tenants.size > 0) return;
  threads.delete(thread);
  thread.group = undefined;
  if (spare === undefined) spare = thread;
  else thread.stop();
}
