import type { IBuffer, IBufferLine } from "@xterm/headless";
import { lineAt } from "./buffer-rows.js";

/**
 * The writable cursor and scroll position of an xterm buffer (Buffer in src/common/buffer of xterm.js), and the
 * cursor DECSC saved (ESC 7, and CSI ? 1049 h before the alternate screen), which DECRC and leaving the
 * alternate screen restore. y counts from the screen's top row (ybase), savedY from the buffer's first row
 * (InputHandler.saveCursor stores ybase + y).
 */
export interface CursorPosition {
  x: number;
  y: number;
  savedX: number;
  savedY: number;
  ybase: number;
  ydisp?: number;
  /** The buffer's rows (CircularList): the screen is its last rows, ybase + rows of them in all. */
  readonly lines: {
    readonly length: number;
    get(index: number): { getTrimmedLength(): number; readonly isWrapped?: boolean } | undefined;
    pop(): unknown;
  };
}

/**
 * Which cursor a resize carries along its line: the cursor itself, or, while the alternate screen is shown, the
 * normal screen's saved one (what a full-screen program returns to).
 */
export type CursorKind = "cursor" | "saved";

/**
 * Columns row `line` gives its logical line when `next` continues it: all of them, but one when a wide character
 * did not fit in the last column and went to the next row (xterm's getWrappedLineTrimmedLength, which its reflow
 * counts with).
 */
function wrappedColumns(line: IBufferLine, next: IBufferLine, cols: number): number {
  const last = line.getCell(cols - 1);
  const padded = last !== undefined && last.getCode() === 0 && last.getWidth() === 1;
  return padded && next.getCell(0)?.getWidth() === 2 ? cols - 1 : cols;
}

/** The first row of the logical line holding buffer row `row`. */
export function lineStart(buffer: IBuffer, row: number): number {
  let first = row;
  while (first > 0 && lineAt(buffer, first)?.isWrapped === true) first--;
  return first;
}

/** The buffer row of the cursor `kind`. */
export function cursorRowOf(position: CursorPosition, kind: CursorKind): number {
  return kind === "cursor" ? position.ybase + position.y : position.savedY;
}

/**
 * Where the cursor (`kind`) is within its logical line: the line's first row, and columns from its start (x may
 * be `cols`: a wrap pending).
 */
export function cursorOffset(
  buffer: IBuffer,
  position: CursorPosition,
  kind: CursorKind,
  cols: number,
): { first: number; offset: number } {
  const row = cursorRowOf(position, kind);
  const first = lineStart(buffer, row);
  let offset = kind === "cursor" ? position.x : position.savedX;
  for (let y = first; y < row; y++) {
    const line = lineAt(buffer, y);
    const next = lineAt(buffer, y + 1);
    if (line && next) offset += wrappedColumns(line, next, cols);
  }
  return { first, offset };
}

/**
 * The buffer row and column of the column `offset` columns into the logical line that starts at buffer row `first`,
 * as wrapped at `cols` columns: the next row's start when it falls at a row's end and the line goes on, at most
 * `cols` on the line's last row.
 */
function columnInLine(
  buffer: IBuffer,
  line: { first: number; offset: number },
  cols: number,
): { row: number; left: number } {
  let row = line.first;
  let left = line.offset;
  for (;;) {
    const here = lineAt(buffer, row);
    const next = lineAt(buffer, row + 1);
    if (!here || next?.isWrapped !== true) break;
    const width = wrappedColumns(here, next, cols);
    if (left < width) break;
    left -= width;
    row += 1;
  }
  return { row, left };
}

/**
 * Whether the normal buffer holds text below its cursor's row (a row that is not blank, or that continues a line).
 * xterm.js 6 resizes such a buffer wrongly: see parkCursorOnLastText.
 */
export function textBelowCursor(position: CursorPosition): boolean {
  return lastTextRow(position) > position.ybase + position.y;
}

function lastTextRow(position: CursorPosition): number {
  const cursor = position.ybase + position.y;
  let last = position.lines.length - 1;
  while (last > cursor) {
    const row = position.lines.get(last);
    if (row === undefined || row.isWrapped === true || row.getTrimmedLength() > 0) break;
    last -= 1;
  }
  return last;
}

/**
 * Moves the normal buffer's cursor to the last row that holds text, for a resize; the caller puts it back after
 * (placeCursorInLine, or placeNormalCursor under the alternate screen).
 *
 * Why: xterm.js 6 assumes nothing below the cursor has text. Re-wrapping for a narrower screen it drops the
 * buffer's last row for every row a line gains while the screen has not scrolled (Buffer._reflowSmaller: `y++;
 * lines.pop()`), and a shorter screen drops rows below the cursor (Buffer.resize). A screen drawn by cursor
 * addressing with the cursor left above its bottom (a TUI, a progress display) lost rows: 40x6 filled row by row,
 * the cursor on row 1, one column narrower kept only the last character of rows 2-6 (attack review; xterm.js
 * issue 1944, closed unfixed). With the cursor on the last row with text only blank rows can be dropped, and the
 * rest scrolls into history, as for a shell prompt at the end of its output.
 */
export function parkCursorOnLastText(position: CursorPosition): void {
  position.y = lastTextRow(position) - position.ybase;
}

/**
 * Puts the normal buffer's own cursor back in its line after a resize while the alternate screen is shown (see
 * parkCursorOnLastText), without scrolling that buffer: on the top row when its line went above the screen.
 */
export function placeNormalCursor(
  buffer: IBuffer,
  position: CursorPosition,
  line: { first: number; offset: number },
  size: { cols: number; rows: number },
): void {
  const { row, left } = columnInLine(buffer, line, size.cols);
  position.y = Math.max(0, Math.min(size.rows - 1, row - position.ybase));
  position.x = Math.min(left, size.cols - 1);
}

/**
 * Brings buffer row `row` (the cursor's, after a reflow) back onto the screen when the reflow pushed it above:
 * the screen is the buffer's last rows, so rows go from its bottom, as few as needed, but never rows of the
 * cursor's own line. Returns the screen's first row (ybase) after.
 *
 * Why: text below the cursor is kept through a resize (parkCursorOnLastText), so rows above went to history
 * instead; when the cursor's own line went with them, the cursor was left on the top row, a different line, and
 * the program's next output overwrote that line (attack review: `@` printed at R4's column 7 landed in R6). Rows
 * below the cursor's line are cut for it then, as tmux cuts them off a shorter screen.
 */
function showRowFromBelow(buffer: IBuffer, position: CursorPosition, row: number, rows: number): number {
  let lineEnd = row;
  while (lineAt(buffer, lineEnd + 1)?.isWrapped === true) lineEnd += 1;
  let ybase = position.ybase;
  while (row < ybase && position.lines.length - 1 > lineEnd && position.lines.length > row + rows) {
    position.lines.pop();
    ybase -= 1;
  }
  position.ybase = ybase;
  if (position.ydisp !== undefined) position.ydisp = ybase;
  return ybase;
}

/**
 * Puts the cursor `offset` columns into the logical line that starts at buffer row `first`, after the line was
 * re-wrapped to `cols` columns: on the row holding that column (the next row's start when it falls at a row's
 * end and the line goes on); on the line's last row at `cols` when its text fills the row up to there (a wrap
 * pending, as after printing the last column), and at most at `cols` - 1 otherwise. Scrolls the screen as little
 * as needed to show that row. Why: xterm re-wraps the cursor's line (reflowCursorLine) but leaves the cursor at
 * its old row and column, where the next character would overwrite the line's text.
 */
export function placeCursorInLine(
  buffer: IBuffer,
  position: CursorPosition,
  kind: CursorKind,
  line: { first: number; offset: number },
  size: { cols: number; rows: number },
): void {
  const { row, left } = columnInLine(buffer, line, size.cols);
  const ybase = showRowFromBelow(buffer, position, row, size.rows);
  if (kind === "saved") {
    // The normal screen is not shown, and is scrolled only as showRowFromBelow did. Left: a saved cursor at
    // `cols` (the line ends exactly at a row's end) comes back at cols - 1 (xterm's DECRC keeps the cursor
    // inside the screen), where the next character printed overwrites the line's last one.
    position.savedY = Math.max(ybase, Math.min(ybase + size.rows - 1, row));
    position.savedX = Math.min(left, size.cols);
    return;
  }
  let top = ybase;
  if (row - top > size.rows - 1) top = Math.min(row - size.rows + 1, position.lines.length - size.rows);
  position.ybase = top;
  if (position.ydisp !== undefined) position.ydisp = top;
  position.y = Math.max(0, Math.min(size.rows - 1, row - top));
  // A wrap stays pending only where the line's text fills its row up to the cursor; a cursor past the end of
  // the text, narrowed below its column, goes to the last column, as xterm puts it (a pending wrap there sent
  // the next output to the next row: attack review).
  const filled = (position.lines.get(row)?.getTrimmedLength() ?? 0) >= size.cols;
  position.x = left < size.cols ? left : left === size.cols && filled ? size.cols : size.cols - 1;
}
