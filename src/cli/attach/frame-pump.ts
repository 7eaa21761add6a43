import { FRAME_SPACING_MS } from "../../panes/frame-wants.js";

/** The least time between two frames sent to one viewer while output streams, in ms (at most 100 a second). */
export const MIN_FRAME_INTERVAL_MS = FRAME_SPACING_MS;
/** While output streams, frames to one viewer take at most 1 / PAINT_SHARE of the daemon's time. */
export const PAINT_SHARE = 5;

/**
 * Paces the frames one viewer is sent, by when it asks for the next (a FrameWatch want; the screen pushes the
 * update as soon as it has one):
 * - at once after an update that waited for its change (`streaming` false): a keystroke's echo is never held
 *   back, however soon after the last frame it comes;
 * - MIN_FRAME_INTERVAL_MS after an update that was already due when asked for (`streaming`: output keeps
 *   coming), so a flood costs at most 100 frames a second, each the latest screen (those in between are
 *   skipped, never queued);
 * - never while the viewer's socket is backed up (`backedUp`): only once `drained` resolves;
 * - while streaming, never sooner than PAINT_SHARE times what the last update cost the daemon (`cost`, ms): a
 *   pane that changes its whole screen in many styles took a third of the daemon's thread for a person's view
 *   drawn by the daemon (attack review), slowing every session's tools.
 */
export class FramePump {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: {
      want: (spaced: boolean) => void;
      backedUp: () => boolean;
      drained: () => Promise<void>;
      /** What the last update cost the daemon, in ms (building, sending or drawing it). */
      cost?: () => number;
    },
  ) {}

  /** Asks for the first frame. */
  start(): void {
    this.next(false);
  }

  /** An update went out; `streaming` as the screen flagged it (FrameListener). */
  sent(streaming: boolean): void {
    if (this.stopped) return;
    if (streaming) {
      const spacing = Math.max(MIN_FRAME_INTERVAL_MS, PAINT_SHARE * (this.io.cost?.() ?? 0));
      this.timer = setTimeout(() => this.next(true), spacing);
    } else this.next(false);
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
