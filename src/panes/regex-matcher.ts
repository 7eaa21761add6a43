import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { CcmuxError } from "../errors.js";
import { compileWaitRegex, compileWaitRegexLocator } from "../shared/wait-regex.js";
import { sanitizeText } from "./sanitize.js";
import { excerptOfMatch, searchWindows } from "./text-query.js";

const SCRIPT = new URL("./regex-thread.js", import.meta.url);
/** Run from TypeScript sources (unit tests) there is no compiled thread script: match on this thread. */
const THREADED = existsSync(fileURLToPath(SCRIPT));

/** Heap of one matcher thread: a 256 KB window, its sanitized copy and RE2's state fit many times over. */
const MATCHER_HEAP_MB = 128;
/**
 * A pattern that takes longer than this to compile is refused (bounded patterns compile in well under 100 ms),
 * counted from when its thread began compiling: not from the wait's start, which also counts the thread's own
 * start and this thread's turns (attack review: under load 7-8, 5 of 64 trivial patterns were refused as "too
 * costly to compile" after 5.2 s).
 */
const COMPILE_TIMEOUT_MS = 5_000;
/** A matcher thread that has not begun compiling by then is given up (a machine too busy to start a thread). */
const START_TIMEOUT_MS = 30_000;

/**
 * One idle matcher thread, kept for the next wait: starting a thread costs tens of milliseconds of CPU, which
 * every regex wait_for paid before its first check (and, started behind each wait, it competed with the spawn the
 * wait was for). A wait takes it; a wait that ends with no check running gives its thread back (the next pattern
 * replaces the old one); a thread stopped in the middle of a check is never kept, and one is started in its place
 * REFILL_DELAY_MS later. A wait that still holds the thread it took REFILL_DELAY_MS later (a long wait) has another
 * started for the next wait. A spare keeps nothing alive (unref'd).
 */
let spare: Worker | undefined;
/** Threads waits took and have not given back or ended, each with the number of the take that holds it. */
const held = new Map<Worker, number>();
let takes = 0;
/** How long after a wait took the spare another is started, if that wait still holds it and none came back. */
const REFILL_DELAY_MS = 500;

function startWorker(): Worker {
  const worker = new Worker(SCRIPT, { resourceLimits: { maxOldGenerationSizeMb: MATCHER_HEAP_MB } });
  worker.unref();
  worker.on("error", () => {});
  // A spare that dies idle is forgotten, and the next wait starts its own.
  worker.once("exit", () => {
    if (spare === worker) spare = undefined;
    held.delete(worker);
  });
  return worker;
}

function takeSpareWorker(): Worker {
  const worker = spare ?? startWorker();
  spare = undefined;
  const take = ++takes;
  held.set(worker, take);
  // Not when the wait gave it back meanwhile: back-to-back waits pass one thread along, and a thread started because
  // a later wait held it at that moment cost that wait's neighbours tens of milliseconds (issue 16's spawn bench: a
  // wait for a prompt answered 50 ms late, twice in 30).
  setTimeout(() => {
    if (held.get(worker) === take) refillSpare();
  }, REFILL_DELAY_MS).unref();
  return worker;
}

function refillSpare(): void {
  spare ??= startWorker();
}

/**
 * A wait is done with its thread: kept as the spare when it is idle and healthy and there is none (true); otherwise
 * the caller ends it, and a spare is started in its place REFILL_DELAY_MS later if there is none then.
 */
function giveBackWorker(worker: Worker, idle: boolean): boolean {
  held.delete(worker);
  if (idle && spare === undefined) {
    spare = worker;
    return true;
  }
  if (spare === undefined) setTimeout(refillSpare, REFILL_DELAY_MS).unref();
  return false;
}

type FromMatcher =
  | { compiling: true }
  | { ready: true }
  | { refused: { code?: string; message: string } }
  | { check: number; matched: boolean; excerpt?: string };

/**
 * An RE2 pattern compiled and matched on a thread of its own (regex-thread.js), so that no pattern, however
 * costly, holds the screen thread that every pane shares or the thread that answers tool calls; and so that
 * a wait that times out or is cancelled can stop a check in the middle (close terminates the thread).
 */
export class RegexMatcher {
  /** Resolves once the pattern compiled; rejects with CcmuxError INVALID_ARGUMENT when it was refused. */
  readonly ready: Promise<void>;
  private readonly worker: Worker | undefined;
  private readonly local: ((text: string) => boolean) | undefined;
  private readonly pattern: string;
  private readonly pending = new Map<
    number,
    { resolve(found: { matched: boolean; excerpt?: string }): void; reject(error: Error): void }
  >();
  private nextCheck = 1;
  private failure: Error | undefined;
  private settle: { resolve(): void; reject(error: Error): void } | undefined;
  /** The pattern compiled on the thread (it said `ready`). */
  private compiled = false;
  private closed = false;
  /** This matcher's listeners on its thread, removed when the thread goes back to be the spare. */
  private readonly listeners: Array<[event: "message" | "error" | "exit", listener: (arg: unknown) => void]> =
    [];

  constructor(pattern: string) {
    this.pattern = pattern;
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.ready.catch(() => {}); // a caller that never awaits it must not see an unhandled rejection
    if (!THREADED) {
      this.worker = undefined;
      try {
        const test = compileWaitRegex(pattern);
        this.local = (text) => test(sanitizeText(text));
        this.settle?.resolve();
      } catch (error) {
        this.refuse(error as CcmuxError);
      }
      return;
    }
    this.worker = takeSpareWorker();
    const giveUp = (error: CcmuxError, after: number): NodeJS.Timeout => {
      const timer = setTimeout(() => {
        this.refuse(error);
        this.close();
      }, after);
      timer.unref();
      return timer;
    };
    let compileTimer = giveUp(
      new CcmuxError(
        "INTERNAL",
        `the regex matcher thread did not start within ${START_TIMEOUT_MS / 1000} s (the server is overloaded); try again.`,
      ),
      START_TIMEOUT_MS,
    );
    this.listen("message", (message: FromMatcher) => {
      if ("compiling" in message) {
        // The thread compiles now and answers nothing else until it is done: this is the pattern's own time.
        clearTimeout(compileTimer);
        compileTimer = giveUp(
          new CcmuxError("INVALID_ARGUMENT", "regex is too costly to compile."),
          COMPILE_TIMEOUT_MS,
        );
      } else if ("ready" in message) {
        clearTimeout(compileTimer);
        this.compiled = true;
        this.settle?.resolve();
      } else if ("refused" in message) {
        clearTimeout(compileTimer);
        this.refuse(new CcmuxError("INVALID_ARGUMENT", message.refused.message));
      } else {
        const pending = this.pending.get(message.check);
        this.pending.delete(message.check);
        pending?.resolve({ matched: message.matched, excerpt: message.excerpt });
      }
    });
    this.listen("error", (error: Error) => this.fail(error));
    this.listen("exit", (code: number) => {
      clearTimeout(compileTimer);
      this.fail(new Error(`the matcher thread exited (code ${code})`));
    });
    this.worker.postMessage({ pattern });
  }

  /** True when the pattern matches sanitized `text` (searched in overlapping windows, see searchWindows). */
  async match(text: string): Promise<boolean> {
    return (await this.find(text, false)).matched;
  }

  /** match, and with `excerpt` the match's excerpt (see matchExcerpt), found on the matcher's thread too. */
  find(text: string, excerpt: boolean): Promise<{ matched: boolean; excerpt?: string }> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.worker;
    if (!worker) {
      if (!this.local) return Promise.resolve({ matched: false });
      const matched = searchWindows(text, this.local);
      if (!matched || !excerpt) return Promise.resolve({ matched });
      return Promise.resolve({
        matched,
        excerpt: excerptOfMatch(text, compileWaitRegexLocator(this.pattern)),
      });
    }
    const check = this.nextCheck++;
    return new Promise((resolve, reject) => {
      this.pending.set(check, { resolve, reject });
      worker.postMessage({ check, text, excerpt });
    });
  }

  /**
   * Ends the matcher: a check in progress is stopped with its thread (its promise rejects); an idle thread whose
   * pattern compiled goes back to be the next wait's spare. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const idle = this.compiled && this.failure === undefined && this.pending.size === 0;
    this.fail(new Error("the wait ended"));
    const worker = this.worker;
    if (!worker) return;
    for (const [event, listener] of this.listeners) worker.off(event, listener);
    // Security: a thread stopped in the middle of a check (a costly pattern) is ended, never handed on.
    if (giveBackWorker(worker, idle)) return;
    void worker.terminate();
  }

  private listen<T>(event: "message" | "error" | "exit", listener: (arg: T) => void): void {
    this.worker?.on(event, listener);
    this.listeners.push([event, listener as (arg: unknown) => void]);
  }

  private refuse(error: CcmuxError): void {
    this.settle?.reject(error);
    this.fail(error);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.settle?.reject(this.failure);
    this.settle = undefined;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}
