import { FRAME_SPACING_MS } from "../../panes/frame-wants.js";

/** The least time between two frames sent to one viewer while output streams, in ms (at most 100 a second). */
export const MIN_FRAME_INTERVAL_MS = FRAME_SPACING_MS;

/**
 * Paces the frames one viewer is sent, by when it asks for the next (a FrameWatch want; the screen pushes the
 * update as soon as it has one):
 * - at once after an update that waited for its change (`streaming` false): a keystroke's echo is never held
 *   back, however soon after the last frame it comes;
 * - MIN_FRAME_INTERVAL_MS after an update that was already due when asked for (`streaming`: output keeps
 *   coming), so a flood costs at most 100 frames a second, each the latest screen (those in between are
 *   skipped, never queued);
 * - never while the viewer's socket is backed up (`backedUp`): only once `drained` resolves.
 */
export class FramePump {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: {
      want: (spaced: boolean) => void;
      backedUp: () => boolean;
      drained: () => Promise<void>;
    },
  ) {}

  /** Asks for the first frame. */
  start(): void {
    this.next(false);
  }

  /** An update went out; `streaming` as the screen flagged it (FrameListener). */
  sent(streaming: boolean): void {
    if (this.stopped) return;
    if (streaming) this.timer = setTimeout(() => this.next(true), MIN_FRAME_INTERVAL_MS);
    else this.next(false);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Wants the next update once the socket has room; `spaced`: after a wait (FrameWatch.want). */
  private next(spaced: boolean): void {
    if (this.stopped) return;
    if (this.io.backedUp()) void this.io.drained().then(() => this.next(true));
    else this.io.want(spaced);
  }
}
