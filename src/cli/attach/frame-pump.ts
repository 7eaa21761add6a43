/** The least time between two frames sent to one viewer, in ms (at most 100 frames a second). */
export const MIN_FRAME_INTERVAL_MS = 10;

/**
 * Sends a viewer the pane's screen after it changed: at once when the pump was idle (a keystroke's echo is never
 * held back, however soon after the last frame it comes), then, while the screen keeps changing during the sends,
 * at most one frame per MIN_FRAME_INTERVAL_MS, always the latest screen
 * (frames in between are skipped, never queued). While the viewer's socket is backed up (`backedUp`), nothing is
 * fetched until `drained` resolves. Errors of `fetch` end the pump (`onError`).
 */
export class FramePump {
  private dirty = false;
  private running = false;
  private lastSent = 0;
  private stopped = false;

  constructor(
    private readonly io: {
      fetch: () => Promise<unknown>;
      send: (frame: unknown) => void;
      backedUp: () => boolean;
      drained: () => Promise<void>;
      onError: (error: unknown) => void;
    },
  ) {}

  /** The screen may have changed. */
  changed(): void {
    this.dirty = true;
    if (!this.running && !this.stopped) void this.run();
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    this.running = true;
    let streaming = false;
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        const wait = this.lastSent + MIN_FRAME_INTERVAL_MS - Date.now();
        if (streaming && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        streaming = true;
        if (this.io.backedUp()) await this.io.drained();
        if (this.stopped) break;
        const frame = await this.io.fetch();
        if (this.stopped) break;
        this.io.send(frame);
        this.lastSent = Date.now();
      }
    } catch (error) {
      this.stopped = true;
      this.io.onError(error);
    } finally {
      this.running = false;
    }
  }
}
