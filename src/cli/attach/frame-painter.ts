import type { PaneFrame } from "../../panes/screen-frame.js";
import { type PaintableRun, runsWidth } from "./run-columns.js";
import { ERASE_SCREEN, HIDE_CURSOR, moveTo, RESET_STYLE, SHOW_CURSOR } from "./terminal-sequences.js";
import { outsideRow, paintableRuns, paneRow, statusRow } from "./view-rows.js";
import {
  fitViewport,
  MAX_CELLS_PER_SIDE,
  type PanOffset,
  type TerminalSize,
  type Viewport,
} from "./viewport.js";

type CursorState = "shown" | "hidden" | "unknown";

/**
 * Draws pane frames on a person's terminal for `ccmux attach` (seed §4.2): the pane in the rows above, a
 * status line on the last row. It remembers what it drew and writes only the rows that changed since, plus
 * the cursor. A frame row that is the same array as in the last paint, at the same place in the same
 * viewport, is not read again (its drawing is kept): callers replace a changed row, never edit one in place
 * (applyFrameRows shares the rows that did not change).
 *
 * Security: what `paint` returns holds only printable text and these sequences: CUP `CSI r;c H`, SGR built
 * from 0, 1, 2, 3, 4, 5, 7, 9, 53, 30–37, 90–97, 40–47, 100–107, 38;5;n, 48;5;n, 38;2;r;g;b, 48;2;r;g;b
 * (never 8, conceal), EL `CSI K`, ED `CSI 2J`, and DECTCEM `CSI ?25h` / `CSI ?25l`. No byte of the pane's own
 * output stream is passed on; the frame's text is sanitized again and its numbers validated, so no title
 * change, clipboard write (OSC 52), hyperlink (OSC 8), DCS/APC/PM/SOS string, mode change, charset switch or
 * query can reach the person's terminal.
 */
export class FramePainter {
  /** What each terminal row holds now, as the sequences that drew it (index = row, the status line last). */
  private drawn: string[] = [];
  private size: TerminalSize | null = null;
  private cursor: { row: number; col: number } | null = null;
  private cursorState: CursorState = "unknown";
  private clearFirst = true;
  /** Where the view was panned to on a pane larger than the terminal; kept while the pane hides its cursor. */
  private pan: PanOffset = { top: 0, left: 0 };
  /** The person panned by hand (panBy): the view stays there instead of following the cursor. */
  private manualPan = false;
  /** How the last paint fitted the pane (clipped or not), for the caller's status line. */
  viewport: Viewport | undefined;

  /**
   * Moves the view `rows` down and `cols` right (negative: up, left) on a pane, or text, larger than the terminal;
   * it stays there, no longer following the cursor, until followCursor. Takes effect at the next paint.
   */
  panBy(rows: number, cols: number): void {
    this.pan = { top: Math.max(0, this.pan.top + rows), left: Math.max(0, this.pan.left + cols) };
    this.manualPan = true;
  }

  /** The view follows the pane's cursor again (the default). */
  followCursor(): void {
    this.manualPan = false;
  }

  /** Whether the person panned the view by hand. */
  get panned(): boolean {
    return this.manualPan;
  }
  /** Per terminal row: the frame row last drawn there, the viewport it was drawn in, and its drawing. */
  private rowsDrawn: Array<{ line: unknown; viewport: string; drawn: string } | undefined> = [];
  /** Each frame row's paintable runs and width, by the row array (unchanged rows keep their array). */
  private readonly rowRuns = new WeakMap<object, { runs: PaintableRun[]; width: number }>();

  /**
   * The output that brings the person's terminal (of `size` cells) from what was painted last to `frame` with
   * `status` on the last row. "" when nothing changed. A changed terminal size repaints everything, as
   * `invalidate` does. Never throws on a malformed frame: bad parts are drawn as blank or default.
   */
  paint(frame: PaneFrame, size: TerminalSize, status: string): string {
    const lines: unknown = frame?.lines;
    const frameRows = Array.isArray(lines) ? lines.slice(0, MAX_CELLS_PER_SIDE) : [];
    const contentCols = frameRows.reduce(
      (widest: number, line) => Math.max(widest, this.runsOf(line).width),
      0,
    );
    const viewport = fitViewport(frame, size, this.pan, { contentCols, followCursor: !this.manualPan });
    this.pan = { top: viewport.top, left: viewport.left };
    this.viewport = viewport;
    const { view } = viewport;
    if (this.size !== null && (this.size.cols !== view.cols || this.size.rows !== view.rows))
      this.invalidate();
    this.size = view;
    const next: string[] = [];
    // What a pane row's drawing depends on besides the row itself (paneRow).
    const placed = `${view.cols},${view.rows},${viewport.left},${viewport.shownCols},${viewport.clippedCols}`;
    for (let row = 0; row < viewport.paneArea; row++) {
      if (row >= viewport.shownRows) next.push(outsideRow(row, viewport));
      else {
        const line = Array.isArray(lines) ? (lines[viewport.top + row] as unknown) : undefined;
        const kept = this.rowsDrawn[row];
        if (kept !== undefined && kept.line === line && kept.viewport === placed) next.push(kept.drawn);
        else {
          const drawn = paneRow(this.runsOf(line).runs, row, viewport);
          this.rowsDrawn[row] = { line, viewport: placed, drawn };
          next.push(drawn);
        }
      }
    }
    // Security: the output is built only from these row strings and terminal-sequences.ts's constants.
    next.push(statusRow(status, viewport));

    let rows = "";
    for (let row = 0; row < next.length; row++) if (next[row] !== this.drawn[row]) rows += next[row];
    this.drawn = next;
    let out = "";
    if (rows !== "") {
      // The cursor is hidden while rows are drawn, so it does not flicker across the screen.
      if (this.cursorState !== "hidden") out += HIDE_CURSOR;
      this.cursorState = "hidden";
      if (this.clearFirst) out += `${RESET_STYLE}${ERASE_SCREEN}`;
      out += rows;
    }
    this.clearFirst = false;
    out += this.placeCursor(viewport.cursor, rows !== "");
    return out;
  }

  /** A frame row's paintable runs and their width, worked out once per row array. */
  private runsOf(line: unknown): { runs: PaintableRun[]; width: number } {
    const cached = line !== null && typeof line === "object" ? this.rowRuns.get(line) : undefined;
    if (cached) return cached;
    const runs = paintableRuns(line);
    const worked = { runs, width: runsWidth(runs) };
    if (line !== null && typeof line === "object") this.rowRuns.set(line, worked);
    return worked;
  }

  /**
   * Forgets what the terminal shows (after a resize, or anything else that drew on it): the next paint is
   * full.
   */
  invalidate(): void {
    this.drawn = [];
    this.rowsDrawn = [];
    this.cursor = null;
    this.cursorState = "unknown";
    this.clearFirst = true;
  }

  private placeCursor(cursor: { row: number; col: number } | null, moved: boolean): string {
    const previous = this.cursor;
    this.cursor = cursor;
    if (cursor === null) {
      if (this.cursorState === "hidden") return "";
      this.cursorState = "hidden";
      return HIDE_CURSOR;
    }
    let out = "";
    if (moved || previous === null || previous.row !== cursor.row || previous.col !== cursor.col) {
      out += moveTo(cursor.row, cursor.col);
    }
    if (this.cursorState !== "shown") out += SHOW_CURSOR;
    this.cursorState = "shown";
    return out;
  }
}
