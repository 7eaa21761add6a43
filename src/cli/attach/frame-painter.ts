import type { EchoDraw } from "../../panes/frame-echo.js";
import type { PaneFrame } from "../../panes/screen-frame.js";
import { type PaintableRun, runsWidth } from "./run-columns.js";
import { DEFAULT_STYLE, frameAttrs, frameColor, sameStyle, sgr } from "./run-style.js";
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

/** An echo's text as FramePainter.echo draws it alone: printable ASCII, one column each. */
const ECHO_TEXT = /^[\x20-\x7e]{1,256}$/u;

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
  /** The frame row an echo was drawn for (echo), and where: the next paint counts its drawing as on screen. */
  private echoed: { row: number; line: unknown; placed: string } | undefined;
  /**
   * The status row last drawn and what it was drawn from: the status text, the terminal's size and the clipping
   * notice. It changes far less often than the pane (a keystroke's paint draws the same one again).
   */
  private statusDrawn:
    | { status: string; cols: number; rows: number; notice: string; drawn: string }
    | undefined;

  /**
   * The output that draws an echo alone, ahead of painting `frame` (the frame with the echo, FrameRows applied):
   * `draw.text` in `draw.pen`, when the terminal (now of `size` cells) shows the pane as last painted, whole and
   * unpanned, with the cursor shown at `draw.at`. The text then leaves the terminal as painting `frame` would, its
   * cursor right after it, so a keystroke's echo costs a few bytes and no row diff, and `frame` needs no paint: the
   * next paint, of this frame or a later one, counts the echo's row as drawn. Echoes may follow each other without
   * a paint between them. Undefined when that does not hold: paint the frame.
   *
   * Security: the output is the text, re-checked as printable ASCII (ECHO_TEXT), between an SGR built from the
   * validated pen (sgr) and SGR 0; autowrap is off while attached (ENTER_ATTACH), and the text ends before the
   * pane's last column.
   */
  echo(frame: PaneFrame, size: TerminalSize, draw: EchoDraw): string | undefined {
    const viewport = this.viewport;
    const { at, text, pen } = draw;
    if (
      viewport === undefined ||
      this.manualPan ||
      viewport.top !== 0 ||
      viewport.left !== 0 ||
      viewport.clippedRows ||
      viewport.clippedCols ||
      size.cols !== viewport.view.cols ||
      size.rows !== viewport.view.rows ||
      frame.cols !== viewport.pane.cols ||
      frame.rows !== viewport.pane.rows ||
      this.cursorState !== "shown" ||
      this.cursor?.row !== at.row ||
      this.cursor.col !== at.col ||
      frame.cursor.row !== at.row ||
      frame.cursor.col !== at.col + text.length ||
      !frame.cursorVisible ||
      frame.cursor.col >= viewport.shownCols ||
      !ECHO_TEXT.test(text)
    )
      return undefined;
    this.cursor = { row: frame.cursor.row, col: frame.cursor.col };
    this.echoed = { row: at.row, line: frame.lines[at.row], placed: placedIn(viewport) };
    const style = { fg: frameColor(pen[0]), bg: frameColor(pen[1]), attrs: frameAttrs(pen[2]) };
    return sameStyle(style, DEFAULT_STYLE) ? text : `${sgr(style)}${text}${RESET_STYLE}`;
  }

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
    const placed = placedIn(viewport);
    const echoed = this.echoed;
    this.echoed = undefined;
    for (let row = 0; row < viewport.paneArea; row++) {
      if (row >= viewport.shownRows) next.push(outsideRow(row, viewport));
      else {
        const line = Array.isArray(lines) ? (lines[viewport.top + row] as unknown) : undefined;
        const kept = this.rowsDrawn[row];
        let drawn: string;
        if (kept !== undefined && kept.line === line && kept.viewport === placed) drawn = kept.drawn;
        else {
          drawn = paneRow(this.runsOf(line).runs, row, viewport);
          this.rowsDrawn[row] = { line, viewport: placed, drawn };
        }
        next.push(drawn);
        // The echo drew its row's text already (echo): what the terminal shows is the echoed row's drawing. The
        // frame may hold a newer array for that row by now (echoes since, the screen thread's own update of it),
        // which is then drawn only where it differs.
        if (echoed?.row === row && echoed.placed === placed)
          this.drawn[row] =
            echoed.line === line ? drawn : paneRow(this.runsOf(echoed.line).runs, row, viewport);
      }
    }
    // Security: the output is built only from these row strings and terminal-sequences.ts's constants.
    next.push(this.statusRowOf(status, viewport));

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

  /** statusRow(status, viewport), drawn again only when the status, the terminal's size or the notice changed. */
  private statusRowOf(status: string, viewport: Viewport): string {
    const { cols, rows } = viewport.view;
    const { notice } = viewport;
    const kept = this.statusDrawn;
    if (
      kept !== undefined &&
      kept.status === status &&
      kept.cols === cols &&
      kept.rows === rows &&
      kept.notice === notice
    )
      return kept.drawn;
    const drawn = statusRow(status, viewport);
    this.statusDrawn = { status, cols, rows, notice, drawn };
    return drawn;
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
    this.echoed = undefined;
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

/** What a pane row's drawing depends on besides the row itself (paneRow): rows drawn in another differ. */
function placedIn(viewport: Viewport): string {
  const { view } = viewport;
  return `${view.cols},${view.rows},${viewport.left},${viewport.shownCols},${viewport.clippedCols}`;
}
