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
/** A pattern that takes longer than this to compile is refused (bounded patterns compile in well under 100 ms). */
const COMPILE_TIMEOUT_MS = 5_000;

/**
 * One matcher thread started ahead of need: starting a thread costs tens of milliseconds, which every regex
 * wait_for paid before its first check. Each wait takes the spare (still idle, no pattern yet) and a new one
 * is started behind it; a spare keeps nothing alive (unref'd).
 */
let spare: Worker | undefined;

function startWorker(): Worker {
  const worker = new Worker(SCRIPT, { resourceLimits: { maxOldGenerationSizeMb: MATCHER_HEAP_MB } });
  worker.unref();
  worker.on("error", () => {});
  return worker;
}

function takeSpareWorker(): Worker {
  const worker = spare ?? startWorker();
  spare = undefined;
  setImmediate(() => {
    if (spare !== undefined) return;
    const next = startWorker();
    // A spare that dies idle is forgotten, and the next wait starts its own.
    next.once("exit", () => {
      if (spare === next) spare = undefined;
    });
    spare = next;
  });
  return worker;
}

type FromMatcher =
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
    const compileTimer = setTimeout(() => {
      this.refuse(new CcmuxError("INVALID_ARGUMENT", "regex is too costly to compile."));
      this.close();
    }, COMPILE_TIMEOUT_MS);
    compileTimer.unref();
    this.worker.on("message", (message: FromMatcher) => {
      if ("ready" in message) {
        clearTimeout(compileTimer);
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
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => {
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

  /** Stops the thread, and with it any check in progress (its promise rejects). Idempotent. */
  close(): void {
    this.fail(new Error("the wait ended"));
    void this.worker?.terminate();
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
