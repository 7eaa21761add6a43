import type { PaneFrame } from "../../panes/screen-frame.js";

/** A person's terminal size in character cells, as `process.stdout.columns` / `.rows` give it. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

/** A pane is measured up to this many rows or columns. */
export const MAX_CELLS_PER_SIDE = 10_000;
/**
 * The largest terminal drawn on (a 4K screen in a tiny font is about 800 by 250); larger sizes are capped.
 */
export const MAX_VIEW: TerminalSize = { cols: 1000, rows: 500 };
/** The size assumed when a terminal reports none (a pipe, a test without a tty). */
export const FALLBACK_SIZE: TerminalSize = { cols: 80, rows: 24 };

/** Which part of a pane the person's terminal shows, and where; all positions 0-based. */
export interface Viewport {
  /** The person's terminal, validated: its last row is the status line. */
  view: TerminalSize;
  /** The pane's size, validated. */
  pane: TerminalSize;
  /** Rows of the terminal the pane may use (all but the status line). */
  paneArea: number;
  /** First pane row shown (the view follows the cursor down a pane taller than the terminal). */
  top: number;
  /** Pane rows shown, from `top`. */
  shownRows: number;
  /** First pane column shown (the view follows the cursor right across a pane wider than the terminal). */
  left: number;
  /** Pane columns shown, from `left`. */
  shownCols: number;
  /** The pane has rows the view does not show. */
  clippedRows: boolean;
  /** The pane has columns, or a row has text, the view does not show. */
  clippedCols: boolean;
  /** Where the person's cursor goes on their terminal, or null to hide it. */
  cursor: { row: number; col: number } | null;
  /** A note for the status line when part of the pane is not shown (`[pane 120x40, view 80x23]`), else "". */
  notice: string;
}

/**
 * A size number from an untrusted frame or a terminal: an integer from 1 to `max` (larger ones are capped),
 * else `fallback`.
 * Security: a frame crosses the daemon socket as JSON; NaN, fractions, negative or huge sizes must not reach
 * a loop bound or an escape sequence.
 */
export function sizeValue(value: unknown, fallback: number, max = MAX_CELLS_PER_SIDE): number {
  // Security: a forged size (NaN, 1e300, -1) as a loop bound (memory, time) or in a CUP sequence.
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) return fallback;
  return Math.min(value, max);
}

/** A cursor coordinate below `limit` (a pending wrap at `limit` counts as the last cell), else null. */
function cursorValue(value: unknown, limit: number, pendingWrap: boolean): number | null {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) return null;
  if (value < limit) return value;
  return pendingWrap && value === limit ? limit - 1 : null;
}

/** Where a clipped view was panned to: the first pane row and column it showed. */
export interface PanOffset {
  top: number;
  left: number;
}

/**
 * The offset along one side that keeps `cursor` in view, moving `from` as little as possible (tmux pans the
 * same way); `margin` cells stay free on either side for the clipped-row markers. A hidden cursor (null)
 * moves nothing, so a program that hides it while redrawing does not make the view jump.
 */
function panned(from: number, cursor: number | null, span: number, max: number, margin: number): number {
  let offset = from;
  if (cursor !== null) {
    const room = Math.max(1, span - 2 * margin);
    if (cursor < offset + margin) offset = cursor - margin;
    else if (cursor >= offset + margin + room) offset = cursor - margin - room + 1;
  }
  return Math.min(max, Math.max(0, offset));
}

/**
 * Fits `frame` into a terminal of `size`: shown at the pane's own size, padded when the terminal is larger,
 * clipped when it is smaller. A clipped view starts panned as `from` (the last paint's offset) and pans just
 * far enough that the pane's visible cursor stays in view.
 */
export function fitViewport(
  frame: PaneFrame,
  size: TerminalSize,
  from: PanOffset = { top: 0, left: 0 },
  options: { contentCols?: number; followCursor?: boolean } = {},
): Viewport {
  const view = {
    cols: sizeValue(size?.cols, FALLBACK_SIZE.cols, MAX_VIEW.cols),
    rows: sizeValue(size?.rows, FALLBACK_SIZE.rows, MAX_VIEW.rows),
  };
  const lineCount = Array.isArray(frame?.lines) ? frame.lines.length : 0;
  const pane = {
    cols: sizeValue(frame?.cols, view.cols),
    rows: sizeValue(frame?.rows, sizeValue(lineCount, 1)),
  };
  const paneArea = view.rows - 1;
  const cursorRow = cursorValue(frame?.cursor?.row, pane.rows, false);
  const cursorCol = cursorValue(frame?.cursor?.col, pane.cols, true);
  const follow =
    options.followCursor !== false &&
    frame?.cursorVisible === true &&
    cursorRow !== null &&
    cursorCol !== null;
  // Security: a row's text can be wider than the pane (a placeholder such as ⟨U+2063⟩ takes ten columns for one
  // cell): the view reaches as far as the widest row, so what the agent reads can be panned to and is marked.
  const layoutCols = Math.max(pane.cols, sizeValue(options.contentCols, pane.cols, MAX_CELLS_PER_SIDE));
  const top = panned(from.top, follow ? cursorRow : null, paneArea, Math.max(0, pane.rows - paneArea), 0);
  const maxLeft = Math.max(0, layoutCols - view.cols);
  const left = panned(from.left, follow ? cursorCol : null, view.cols, maxLeft, view.cols > 2 ? 1 : 0);
  const shownRows = Math.min(pane.rows - top, paneArea);
  const shownCols = Math.min(pane.cols - left, view.cols);
  const clippedRows = pane.rows > paneArea;
  const clippedCols = layoutCols > view.cols;
  const cursorShown =
    follow &&
    cursorRow !== null &&
    cursorCol !== null &&
    cursorRow >= top &&
    cursorRow < top + shownRows &&
    cursorCol >= left &&
    cursorCol < left + shownCols;
  return {
    view,
    pane,
    paneArea,
    top,
    shownRows,
    left,
    shownCols,
    clippedRows,
    clippedCols,
    cursor: cursorShown ? { row: (cursorRow as number) - top, col: (cursorCol as number) - left } : null,
    notice:
      clippedRows || clippedCols
        ? `[pane ${pane.cols}x${pane.rows}${layoutCols > pane.cols ? ` (text to ${layoutCols})` : ""}, view ${view.cols}x${paneArea}]`
        : "",
  };
}
