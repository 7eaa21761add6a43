import type { PaneWaitOptions, WaitOutcome } from "../pane-host.js";
import type { HistoryMark } from "../pane-screen.js";
import { RegexMatcher } from "../regex-matcher.js";
import type { TextQuery } from "../text-query.js";
import type { Pane } from "./pane.js";

/**
 * A wait as the host's `wait` takes it (PaneWaitOptions: query, matcher, exit, since, sinceMark, excerpt,
 * timeoutMs, signal, onProgress), less the answer's screen deadline, which the host applies. A regex `query`
 * without a `matcher` gets one here; the wait closes the matcher and releases its since-mark when it ends.
 */
export interface WaitOptions extends Omit<PaneWaitOptions, "screenBy"> {
  /** onProgress is called at most this often (default 1000 ms). */
  progressIntervalMs?: number;
}

export type { WaitOutcome } from "../pane-host.js";

export interface WaitResult {
  outcome: WaitOutcome;
  /** With `excerpt` and a match: the match and the lines around it, sanitized. */
  excerpt?: string;
}

/** Re-check at most this often while output streams in; checks that cost more are spaced further (duty cycle). */
const MIN_CHECK_INTERVAL_MS = 0.2;
/**
 * The first checks of a wait are not spaced by their cost: a program's first output often comes in a few pieces
 * (bash: the bracketed-paste switch, then the prompt), and on a busy machine a check's time is mostly its turns on
 * the screen and matcher threads, not work. Spaced by that, a prompt's second piece waited 6-16 ms (issue 16).
 * Output that keeps coming is spaced from the check after these on.
 */
const UNSPACED_CHECKS = 4;
/** History rows kept in view behind the last checked screen top, so a match may straddle it. */
const OVERLAP_ROWS = 8;
/**
 * At the timeout, the last check (or the one in flight) may take this long before the wait ends anyway; the
 * tool promises timeout_ms within 100 ms.
 */
const FINAL_CHECK_MS = 20;
/**
 * Waits, without polling, until the pane's output matches, the process exits, or time runs out. The searched
 * text is the screen at the start plus everything printed since, so output that scrolled away still counts.
 * One check runs at a time; output that arrives during a check triggers the next one.
 */
export async function waitForOutput(pane: Pane, options: WaitOptions): Promise<WaitOutcome> {
  return (await waitForOutputResult(pane, options)).outcome;
}

/** waitForOutput, with the match's excerpt when `options.excerpt` is set. */
export async function waitForOutputResult(pane: Pane, options: WaitOptions): Promise<WaitResult> {
  const started = Date.now();
  const since = options.since === true || options.sinceMark !== undefined;
  // Security: the mark is not awaited before the timer starts: a screen thread held by another pane's output
  // (issue 9: 11.8 s for timeout_ms 1000) must not stretch the wait past its timeout.
  const marked = (options.sinceMark ?? (since ? pane.markSince() : pane.markScreenTop())).catch(
    () => undefined,
  );
  /** The since-mark to release when the wait ends (later marks are read positions of the same one). */
  let sinceMark: HistoryMark | undefined;
  let mark: HistoryMark | undefined;
  let haveMark = false;
  const query = options.query;
  // Security: a costly regex (issue 9: 15 s per check) runs on a thread of its own, stopped when the wait
  // ends, not on the screen thread every pane shares; literal text is cheap and stays where the text is.
  const matcher = query && "regex" in query ? (options.matcher ?? new RegexMatcher(query.regex)) : undefined;
  return new Promise((resolve) => {
    let done = false;
    let checking = false;
    /** The check in flight, so a final check can wait for it instead of racing it. */
    let inFlight: Promise<boolean> = Promise.resolve(false);
    let dirty = false;
    let checkTimer: NodeJS.Timeout | undefined;
    let lastCheck = Number.NEGATIVE_INFINITY;
    let interval = MIN_CHECK_INTERVAL_MS;
    /** Checks run so far (see UNSPACED_CHECKS). */
    let checks = 0;

    let excerpt: string | undefined;
    const finish = (outcome: WaitOutcome): void => {
      if (done) return;
      done = true;
      if (since) void marked.then((first) => pane.releaseSince(first ?? sinceMark));
      clearTimeout(checkTimer);
      clearTimeout(timeout);
      clearInterval(progress);
      pane.off("output", onOutput);
      pane.off("exit", onExit);
      pane.off("disposed", onDisposed);
      options.signal?.removeEventListener("abort", onAbort);
      matcher?.close();
      resolve(outcome === "matched" && excerpt !== undefined ? { outcome, excerpt } : { outcome });
    };

    /** Checks the text once; resolves true when the wait matched (and is finished). */
    const check = (): Promise<boolean> => {
      checkTimer = undefined;
      if (done || !options.query) return Promise.resolve(false);
      if (checking) {
        dirty = true;
        return Promise.resolve(false);
      }
      inFlight = checkOnce(options.query);
      return inFlight;
    };
    const checkOnce = async (query: TextQuery): Promise<boolean> => {
      checking = true;
      dirty = false;
      const began = performance.now();
      lastCheck = began;
      try {
        if (!haveMark) {
          mark = await marked;
          haveMark = true;
        }
        if (since && mark === undefined) {
          // Security: without its since-mark a read would search the old screen (a stale match): take a new one.
          mark = await pane.markSince();
          sinceMark = mark;
          return false;
        }
        // The search and the next start come from one screen call: output parsed in between is not skipped.
        const excerptWanted = options.excerpt === true;
        const read = matcher
          ? await searchElsewhere(pane, mark, matcher, excerptWanted)
          : await pane.search(mark, OVERLAP_ROWS, query, excerptWanted);
        if (!done && read.matched) {
          excerpt = read.excerpt;
          finish("matched");
          return true;
        }
        // Rows above the screen top are final now: later checks start near here.
        mark = read.nextTop ?? mark;
      } catch {
        // the pane went away mid-check: the disposed/exit events end the wait
      } finally {
        checking = false;
        // Checks render every new line: under a flood, space them so they take at most ~10% of the time. Not the
        // first few (UNSPACED_CHECKS): the initial one waited for the mark and the matcher's first answer, and spaced
        // by that the first output (a spawned program's prompt) waited up to ten times as long again (issue 16: 60 ms
        // on a busy machine).
        const cost = performance.now() - began;
        checks += 1;
        interval =
          checks < UNSPACED_CHECKS ? MIN_CHECK_INTERVAL_MS : Math.max(MIN_CHECK_INTERVAL_MS, cost * 10);
      }
      if (dirty && !done) schedule();
      return false;
    };

    const schedule = (): void => {
      if (checkTimer !== undefined || done) return;
      // Leading edge: the first output after a quiet spell is checked at once (keystroke-to-visible latency).
      const wait = lastCheck + interval - performance.now();
      if (wait <= 0) void check();
      else checkTimer = setTimeout(() => void check(), wait);
    };

    const onOutput = (): void => {
      if (checking) dirty = true;
      else schedule();
    };
    /**
     * One more check that really runs, after every check in flight: check() only marks a check asked for during
     * another as due, so a final check taken while one ran (one the output's end scheduled) answered false
     * without looking, and the wait said "exited" or "timeout" for text the pane had printed (attack review:
     * 8 of 200 waits for a `seq`'s last line).
     */
    const finalCheck = async (): Promise<boolean> => {
      while (checking) await inFlight;
      return check();
    };
    const onExit = (): void => {
      void finalCheck().then((matched) => {
        if (!matched) finish("exited");
      });
    };
    const onAbort = (): void => finish("aborted");
    const onDisposed = (): void => finish("exited");

    // One last check at the deadline (output that arrived just before it counts), bounded by FINAL_CHECK_MS.
    const timeout = setTimeout(
      () => {
        const last = finalCheck();
        const late = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), FINAL_CHECK_MS));
        void Promise.race([last, late]).then((matched) => {
          if (!matched) finish("timeout");
        });
      },
      Math.max(0, options.timeoutMs - (Date.now() - started)),
    );
    const progress = options.onProgress
      ? setInterval(() => options.onProgress?.(Date.now() - started), options.progressIntervalMs ?? 1000)
      : undefined;

    pane.on("output", onOutput);
    pane.on("exit", onExit);
    pane.on("disposed", onDisposed);
    options.signal?.addEventListener("abort", onAbort);
    if (options.signal?.aborted) {
      finish("aborted");
      return;
    }
    // A pane that exited before the wait began (or while its first check read the screen) says "exited" only
    // after a check of everything it printed: the first check may have read the screen before its last line.
    void check().then(async (matched) => {
      if (!matched && !pane.alive && !(await finalCheck())) finish("exited");
    });
  });
}

/** The text from `mark` rendered on the screen thread, matched on the matcher's thread. */
async function searchElsewhere(
  pane: Pane,
  mark: HistoryMark | undefined,
  matcher: RegexMatcher,
  excerpt: boolean,
): Promise<{ matched: boolean; excerpt?: string; nextTop: HistoryMark | undefined }> {
  const read = await pane.textFrom(mark, OVERLAP_ROWS);
  return { ...(await matcher.find(read.text, excerpt)), nextTop: read.nextTop };
}
