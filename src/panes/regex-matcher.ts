import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CcmuxError } from "../errors.js";
import { compileWaitRegex, compileWaitRegexLocator } from "../shared/wait-regex.js";
import {
  type FromMatcherThread,
  leaveThread,
  type MatcherThread,
  type ThreadTenant,
  threadFor,
} from "./matcher-threads.js";
import { sanitizeText } from "./sanitize.js";
import { excerptOfMatch, searchWindows } from "./text-query.js";

/** Run from TypeScript sources (unit tests) there is no compiled thread script: match on this thread. */
const THREADED = existsSync(fileURLToPath(new URL("./regex-thread.js", import.meta.url)));

/**
 * A pattern that takes longer than this to compile is refused (bounded patterns compile in well under 100 ms),
 * counted from when its thread began compiling: not from the wait's start, which also counts the thread's own
 * start and this thread's turns (attack review: under load 7-8, 5 of 64 trivial patterns were refused as "too
 * costly to compile" after 5.2 s).
 */
const COMPILE_TIMEOUT_MS = 5_000;
/** A matcher thread that has not begun compiling by then is given up (a machine too busy to start a thread). */
const START_TIMEOUT_MS = 30_000;

/** The group of matchers made without one: they share threads with each other only. */
const NO_GROUP = {};
let nextId = 1;

/**
 * An RE2 pattern compiled and matched on a matcher thread (regex-thread.js, shared by up to PATTERNS_PER_THREAD
 * patterns of one group: see matcher-threads.ts), so that no pattern, however costly, holds the screen thread
 * that every pane shares or the thread that answers tool calls; and so that a wait that times out or is cancelled
 * can stop a check in the middle (close terminates its thread, and the thread's other patterns move to another,
 * their checks asked again there).
 */
export class RegexMatcher implements ThreadTenant {
  /** Resolves once the pattern compiled; rejects with CcmuxError INVALID_ARGUMENT when it was refused. */
  readonly ready: Promise<void>;
  readonly id = nextId++;
  private thread: MatcherThread | undefined;
  private readonly local: ((text: string) => boolean) | undefined;
  private readonly pattern: string;
  /** Checks asked and not answered, with what they asked (asked again when the pattern moves thread). */
  private readonly pending = new Map<
    number,
    {
      text: string;
      excerpt: boolean;
      resolve(found: { matched: boolean; excerpt?: string }): void;
      reject(error: Error): void;
    }
  >();
  private nextCheck = 1;
  private failure: Error | undefined;
  private settle: { resolve(): void; reject(error: Error): void } | undefined;
  /** The pattern compiled on its current thread (it said `ready`). */
  private compiled = false;
  private closed = false;
  /** The start or compile limit running for the current thread (see home). */
  private timer: NodeJS.Timeout | undefined;
  /** Matchers this one may share a thread with (see the constructor). */
  private readonly group: object = NO_GROUP;

  /**
   * `group`: matchers that may share a thread (one connection's waits); a thread never serves two groups. Without
   * one, the matcher shares only with others made without one.
   */
  constructor(pattern: string, group: object = NO_GROUP) {
    this.pattern = pattern;
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.ready.catch(() => {}); // a caller that never awaits it must not see an unhandled rejection
    if (!THREADED) {
      try {
        const test = compileWaitRegex(pattern);
        this.local = (text) => test(sanitizeText(text));
        this.settle?.resolve();
      } catch (error) {
        this.refuse(error as CcmuxError);
      }
      return;
    }
    this.group = group;
    this.home();
  }

  /** The thread this matcher's checks run on (tests tell threads apart by it); undefined when unthreaded. */
  get threadId(): number | undefined {
    return this.thread?.threadId;
  }

  /** True when the pattern matches sanitized `text` (searched in overlapping windows, see searchWindows). */
  async match(text: string): Promise<boolean> {
    return (await this.find(text, false)).matched;
  }

  /** match, and with `excerpt` the match's excerpt (see matchExcerpt), found on the matcher's thread too. */
  find(text: string, excerpt: boolean): Promise<{ matched: boolean; excerpt?: string }> {
    if (this.failure) return Promise.reject(this.failure);
    const thread = this.thread;
    if (!thread) {
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
      this.pending.set(check, { text, excerpt, resolve, reject });
      thread.post({ id: this.id, check, text, excerpt });
    });
  }

  /**
   * Ends the matcher: a check in progress or queued is stopped with its thread (its promise rejects), and the
   * thread's other patterns move to another; otherwise the thread forgets the pattern and serves on. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Security: a thread stopped in the middle of a check (a costly pattern) is ended, never used again.
    const clean = this.compiled && this.failure === undefined && this.pending.size === 0;
    this.fail(new Error("the wait ended"));
    this.leave(clean);
  }

  /** An answer from the thread about this pattern (ThreadTenant). */
  onMessage(message: FromMatcherThread): void {
    if ("compiling" in message) {
      // The thread compiles now and answers nothing else until it is done: this is the pattern's own time.
      this.limit(new CcmuxError("INVALID_ARGUMENT", "regex is too costly to compile."), COMPILE_TIMEOUT_MS);
    } else if ("ready" in message) {
      clearTimeout(this.timer);
      this.compiled = true;
      this.settle?.resolve();
      this.settle = undefined;
    } else if ("refused" in message) {
      clearTimeout(this.timer);
      this.refuse(new CcmuxError("INVALID_ARGUMENT", message.refused.message));
      this.leave(true); // the thread compiled nothing for it and is busy with nothing of it
    } else {
      const pending = this.pending.get(message.check);
      this.pending.delete(message.check);
      pending?.resolve({ matched: message.matched, excerpt: message.excerpt });
    }
  }

  /** The thread is gone (ThreadTenant): fail with it when it died, move to another when it was stopped. */
  onThreadLost(error: Error | undefined): void {
    clearTimeout(this.timer);
    this.thread = undefined;
    if (error) this.fail(error);
    else if (!this.closed && this.failure === undefined) this.home();
  }

  /** Takes a thread, has it compile the pattern and asks it again every check not answered yet. */
  private home(): void {
    const thread = threadFor(this.group);
    this.thread = thread;
    this.compiled = false;
    thread.tenants.set(this.id, this);
    this.limit(
      new CcmuxError(
        "INTERNAL",
        `the regex matcher thread did not start within ${START_TIMEOUT_MS / 1000} s (the server is overloaded); try again.`,
      ),
      START_TIMEOUT_MS,
    );
    thread.post({ id: this.id, pattern: this.pattern });
    for (const [check, { text, excerpt }] of this.pending) thread.post({ id: this.id, check, text, excerpt });
  }

  /** Refuses the pattern with `error` unless the thread moves on within `ms` (compiling, then ready). */
  private limit(error: CcmuxError, ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.refuse(error);
      this.close();
    }, ms);
    this.timer.unref();
  }

  private leave(clean: boolean): void {
    clearTimeout(this.timer);
    const thread = this.thread;
    this.thread = undefined;
    if (thread) leaveThread(thread, this, clean);
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
