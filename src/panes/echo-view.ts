import { type EchoDraw, type EchoState, echoRows, echoText } from "./frame-echo.js";
import { applyFrameRows, type FrameRows, type FrameUpdate, type PaneFrame } from "./screen-frame.js";

/**
 * One frame watcher's view on the thread that reads the pty (worker-screens.ts): the frame the watcher has
 * assembled from the updates it was given, which may be ahead of the screen thread by echoes drawn at once
 * (frame-echo.ts). A keystroke's echo then reaches a person's view without the round trip to the screen thread
 * and back (issue 13); the screen thread's own update for it follows and is drawn over it.
 *
 * While the view is ahead, updates from the screen thread that do not reach as far are held (their rows kept in
 * `confirmed`), so the view never goes back to a frame without an echo it showed; the first update that reaches
 * as far carries every row changed since, and every row an echo was drawn on, so the watcher's frame equals the
 * screen thread's again. The owner asks the screen thread for that update whatever it parses (`through`):
 * output may undo an echo before the screen thread sees any change (an attack review's text printed and erased
 * within one frame, which stayed on the person's screen).
 */
export class EchoView {
  /** The frame as the screen thread last sent it, every update applied. */
  private confirmed: PaneFrame | undefined;
  /** The frame as the watcher has it: `confirmed`, or ahead of it by echoes. */
  private shown: PaneFrame | undefined;
  /** Bytes of the pane's output `shown` reflects; undefined before the first update. */
  private shownThrough: number | undefined;
  /** The screen thread's state after its last update (EchoState); undefined: draw no echo until the next one. */
  private state: EchoState | undefined;
  /** Rows of `confirmed` changed by updates held back; "all" after a whole frame was held. */
  private held: Set<number> | "all" = new Set();
  /** Rows echoes were drawn on since the view last equalled `confirmed`. */
  private echoed = new Set<number>();

  /** Output the watcher's view reflects, when it is ahead of the screen thread's last update (an echo). */
  get ahead(): number | undefined {
    return this.echoed.size > 0 ? this.shownThrough : undefined;
  }

  /**
   * An update from the screen thread, and its state right after it: what to give the watcher, or undefined when
   * the view is ahead of it (the caller then asks for the next update itself, as the watcher would have).
   */
  fromScreen(update: FrameUpdate, state: EchoState): FrameUpdate | undefined {
    const confirmed =
      "frame" in update ? update.frame : this.confirmed && applyFrameRows(this.confirmed, update.rows);
    this.confirmed = confirmed;
    this.state = state;
    if (confirmed === undefined) {
      // Rows that do not fit the frame (cannot happen between the two threads): pass them on, draw no echo.
      this.reset();
      this.shown = undefined;
      return update;
    }
    if (this.shownThrough !== undefined && state.through < this.shownThrough) {
      if ("frame" in update) this.held = "all";
      else if (this.held !== "all") for (const [row] of update.rows.changed) this.held.add(row);
      return undefined;
    }
    const held = this.held;
    const echoed = this.echoed;
    this.held = new Set();
    this.echoed = new Set();
    this.shown = confirmed;
    this.shownThrough = state.through;
    if ("frame" in update || held === "all") return "frame" in update ? update : { frame: confirmed };
    for (const row of echoed) held.add(row);
    if (held.size === 0) return update;
    for (const [row] of update.rows.changed) held.add(row);
    const rows: FrameRows = {
      ...update.rows,
      changed: [...held].sort((a, b) => a - b).map((row) => [row, confirmed.lines[row] ?? []]),
    };
    return { rows: rows };
  }

  /**
   * Output the pty gave, `written` bytes of it having come before: the rows to give the watcher now when it is a
   * plain echo the view can draw (the view reflects all output before it; echoRows), and the echo itself (what a
   * terminal showing the view before it needs to draw); else undefined.
   */
  echo(chunk: Uint8Array, written: number): { rows: FrameRows; draw: EchoDraw } | undefined {
    const pen = this.state?.pen;
    if (!pen || this.shown === undefined || this.shownThrough !== written) return undefined;
    const text = echoText(chunk);
    if (text === undefined) return undefined;
    const rows = echoRows(this.shown, pen, text);
    const shown = rows && applyFrameRows(this.shown, rows);
    if (rows === undefined || shown === undefined) return undefined;
    const at = this.shown.cursor;
    this.shown = shown;
    this.shownThrough = written + chunk.byteLength;
    this.echoed.add(shown.cursor.row);
    return { rows, draw: { at: { row: at.row, col: at.col }, text, pen } };
  }

  /** The screen changes other than by output (a resize): no echo is drawn until the screen thread's next update. */
  reset(): void {
    this.state = undefined;
  }
}
