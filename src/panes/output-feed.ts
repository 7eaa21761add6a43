import type { ScreenPort } from "./screen-port.js";

/**
 * Feeds pty output into the emulator with flow control: @xterm/headless throws away data (and warns) when
 * too much is queued, and an unbounded queue would let a pane printing 1 GB grow without limit. When the
 * emulator falls behind by the screen's backlog bound (ScreenPort.backlogBytes: up to 512 KB, less for output
 * that is costly to parse) we pause the pty, so the kernel buffer fills and the child blocks in write(2).
 * Reading resumes once the emulator has caught up below half the bound, so the screen thread still has a batch
 * to parse while the next one is read (resuming only when it is idle leaves a bubble each time).
 */
export class OutputFeed {
  private pending = 0;
  private paused = false;
  private discarding = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly screen: Pick<ScreenPort, "write" | "backlogBytes">,
    private readonly source: { pause(): void; resume(): void },
    private readonly onParsed: () => void,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.discarding) return;
    const size = chunk.byteLength;
    this.pending += size;
    this.screen.write(chunk, () => {
      this.pending -= size;
      if (this.paused && this.pending <= this.screen.backlogBytes() / 2) {
        this.paused = false;
        this.source.resume();
      }
      this.onParsed();
      if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
    // Security: the bound shrinks for output that is slow to parse (a flood of full resets), so a read of this
    // pane, which answers after everything written before it, waits a fraction of a second, not 20 s.
    if (!this.paused && this.pending >= this.screen.backlogBytes()) {
      this.paused = true;
      this.source.pause();
    }
  }

  /**
   * From now on output is dropped as it is read, and the pty is read again if it was paused: for a pane being
   * removed, whose screen nobody reads again. What is already written to the screen is acknowledged as the
   * screen drops it (ScreenPort.discardBacklog).
   */
  discard(): void {
    this.discarding = true;
    if (!this.paused) return;
    this.paused = false;
    this.source.resume();
  }

  /** Resolves once everything pushed so far has been parsed by the emulator. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
