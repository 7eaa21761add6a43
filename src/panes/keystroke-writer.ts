import { setTimeout as sleep } from "node:timers/promises";
import type { Keystroke } from "../shared/keystroke.js";

/**
 * After a keystroke that ends in a lone ESC has been read, how long before the next is written. Programs tell a
 * lone Escape from the start of a key sequence by waiting this long for more: vim's `ttimeoutlen` 100 ms (set by
 * defaults.vim; neovim 50), fish 30 ms, tmux `escape-time` 10 ms (3.5+). Readline's `keyseq-timeout` (500 ms)
 * only matters in vi mode, where it re-dispatches an ESC that no sequence continues; in emacs mode ESC is Meta
 * however late the next key comes, as it is for a person. zsh (`KEYTIMEOUT` 400 ms) and tmux before 3.5
 * (500 ms) may still join the keys: send them in two calls there.
 */
export const ESCAPE_GAP_MS = 150;
/** The most one `type` call spends waiting for the program to read; the rest of its keystrokes go without pauses. */
export const SETTLE_BUDGET_MS = 2000;
/** Longest pause between two looks at the program's unread input. */
const MAX_POLL_MS = 16;

/** The terminal a KeystrokeWriter writes to. */
export interface KeystrokeTarget {
  /** Writes one keystroke; `false` when the terminal took only part of it (nothing more is written then). */
  write(bytes: string): boolean;
  /** Whether written input is still unread by the program; undefined when the system cannot tell. */
  inputPending(): boolean | undefined;
  /** False once the process is gone: nothing more is written or waited for. */
  isOpen(): boolean;
}

/**
 * Writes keystrokes as a terminal sends keys: each in its own write, and after one that a following key would
 * extend (Escape, then Enter, written together, is `ESC CR`: Alt+Enter), waits until the program has read it and
 * ESCAPE_GAP_MS more. A program that never reads delays one call by at most SETTLE_BUDGET_MS. Calls are queued:
 * two callers' keystrokes never interleave. The wait also spans calls: a call ending in Escape delays the next.
 */
export class KeystrokeWriter {
  private queue: Promise<void> = Promise.resolve();
  private lastWasOpen = false;
  private readonly gapMs: number;
  private readonly budgetMs: number;

  /** `timing` overrides ESCAPE_GAP_MS and SETTLE_BUDGET_MS (tests). */
  constructor(
    private readonly target: KeystrokeTarget,
    timing: { gapMs?: number; budgetMs?: number } = {},
  ) {
    this.gapMs = timing.gapMs ?? ESCAPE_GAP_MS;
    this.budgetMs = timing.budgetMs ?? SETTLE_BUDGET_MS;
  }

  /**
   * Resolves with how many strokes were written: all of them, or fewer once the process is gone, `stop()` says
   * so, or the terminal took only part of one. `stop` is asked right before each stroke, after any wait (for earlier calls in the queue, or to settle).
   */
  type(strokes: readonly Keystroke[], stop: () => boolean = () => false): Promise<number> {
    const run = this.queue.then(() => this.write(strokes, stop));
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private async write(strokes: readonly Keystroke[], stop: () => boolean): Promise<number> {
    const deadline = Date.now() + this.budgetMs;
    let written = 0;
    for (const stroke of strokes) {
      if (this.lastWasOpen) await this.settle(deadline);
      if (!this.target.isOpen() || stop()) return written;
      if (this.target.write(stroke.bytes) === false) return written;
      this.lastWasOpen = stroke.settle;
      written += 1;
    }
    return written;
  }

  /** Waits (within `deadline`) until the program has read what was written, then the escape gap. */
  private async settle(deadline: number): Promise<void> {
    for (
      let pause = 1;
      this.target.isOpen() && Date.now() < deadline;
      pause = Math.min(pause * 2, MAX_POLL_MS)
    ) {
      if (this.target.inputPending() !== true) break;
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
    }
    const gap = Math.min(this.gapMs, deadline - Date.now());
    if (gap > 0 && this.target.isOpen()) await sleep(gap);
  }
}
