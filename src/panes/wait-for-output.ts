import type { Pane } from "./pane.js";

export interface WaitOptions {
  /** True when the wait should end as soon as the rendered text matches. */
  matches?: (text: string) => boolean;
  /** End when the process exits. */
  exit?: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called at most every progressIntervalMs while waiting. */
  onProgress?: (elapsedMs: number) => void;
  progressIntervalMs?: number;
}

export type WaitOutcome = "matched" | "exited" | "timeout" | "aborted";

/** Re-check at most this often while output streams in; checks that cost more are spaced further (duty cycle). */
const MIN_CHECK_INTERVAL_MS = 1;
/** History rows kept in view behind the last checked screen top, so a match may straddle it. */
const OVERLAP_ROWS = 8;
/** Only the newest text is searched (bounded input for the matcher). */
const MAX_SEARCH_CHARS = 256 * 1024;

/**
 * Waits, without polling, until the pane's output matches, the process exits, or time runs out. The searched
 * text is the screen at the start plus everything printed since, so output that scrolled away still counts.
 */
export function waitForOutput(pane: Pane, options: WaitOptions): Promise<WaitOutcome> {
  return new Promise((resolve) => {
    let mark = pane.markScreenTop();
    let checkTimer: NodeJS.Timeout | undefined;
    let done = false;
    const started = Date.now();

    const finish = (outcome: WaitOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(checkTimer);
      clearTimeout(timeout);
      clearInterval(progress);
      pane.off("output", onOutput);
      pane.off("exit", onExit);
      pane.off("disposed", onDisposed);
      options.signal?.removeEventListener("abort", onAbort);
      pane.releaseMark(mark);
      resolve(outcome);
    };

    let lastCheck = Number.NEGATIVE_INFINITY;
    let interval = MIN_CHECK_INTERVAL_MS;
    const check = (): boolean => {
      checkTimer = undefined;
      if (done || !options.matches) return false;
      const began = performance.now();
      lastCheck = began;
      const matched = matchNow();
      // Checks render every new line: under a flood, space them so they take at most ~20% of the thread.
      interval = Math.max(MIN_CHECK_INTERVAL_MS, (performance.now() - began) * 4);
      return matched;
    };

    const matchNow = (): boolean => {
      if (!options.matches) return false;
      const { text } = pane.textFrom(mark);
      const window = text.length > MAX_SEARCH_CHARS ? text.slice(text.length - MAX_SEARCH_CHARS) : text;
      if (options.matches(window)) {
        finish("matched");
        return true;
      }
      // Rows above the screen top are final now: later checks start near here.
      pane.releaseMark(mark);
      mark = pane.markScreenTop(OVERLAP_ROWS);
      return false;
    };

    const onOutput = (): void => {
      if (checkTimer !== undefined || done) return;
      // Leading edge: the first output after a quiet spell is checked at once (keystroke-to-visible latency).
      const wait = lastCheck + interval - performance.now();
      if (wait <= 0) check();
      else checkTimer = setTimeout(check, wait);
    };
    const onExit = (): void => {
      if (check()) return;
      finish("exited");
    };
    const onAbort = (): void => finish("aborted");
    const onDisposed = (): void => finish("exited");

    const timeout = setTimeout(() => {
      if (!check()) finish("timeout");
    }, options.timeoutMs);
    const progress = options.onProgress
      ? setInterval(() => options.onProgress?.(Date.now() - started), options.progressIntervalMs ?? 1000)
      : undefined;

    pane.on("output", onOutput);
    pane.on("exit", onExit);
    pane.on("disposed", onDisposed);
    options.signal?.addEventListener("abort", onAbort);
    if (options.signal?.aborted) return finish("aborted");
    if (check()) return;
    if (!pane.alive) finish("exited");
  });
}
