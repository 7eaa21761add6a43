import type { ScreenPort } from "./screen-port.js";

/** Bytes handed to the emulator but not yet parsed, above which reading from the pty pauses. */
const HIGH_WATER_BYTES = 512 * 1024;
/**
 * Reading resumes once the emulator has caught up below this: half the high mark, so the screen thread still
 * has a batch to parse while the next one is read (resuming only when it is idle leaves a bubble each time).
 */
const LOW_WATER_BYTES = 256 * 1024;

/**
 * Feeds pty output into the emulator with flow control: @xterm/headless throws away data (and warns) when
 * too much is queued, and an unbounded queue would let a pane printing 1 GB grow without limit. When the
 * emulator falls behind we pause the pty, so the kernel buffer fills and the child blocks in write(2).
 */
export class OutputFeed {
  private pending = 0;
  private paused = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly screen: Pick<ScreenPort, "write">,
    private readonly source: { pause(): void; resume(): void },
    private readonly onParsed: () => void,
  ) {}

  push(chunk: Uint8Array): void {
    const size = chunk.byteLength;
    this.pending += size;
    this.screen.write(chunk, () => {
      this.pending -= size;
      if (this.paused && this.pending <= LOW_WATER_BYTES) {
        this.paused = false;
        this.source.resume();
      }
      this.onParsed();
      if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
    if (!this.paused && this.pending >= HIGH_WATER_BYTES) {
      this.paused = true;
      this.source.pause();
    }
  }

  /** Resolves once everything pushed so far has been parsed by the emulator. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
