import type { IBufferCell, IBufferLine, Terminal } from "@xterm/headless";
import { cursorHidden } from "./cursor-visibility.js";
import type { FrameStyle } from "./frame-echo.js";
import { hiddenPlaceholder, hiddenPublicCell } from "./row-text.js";
import { sanitizePieces } from "./sanitize.js";
import { ATTR, DEFAULT_COLOR, type FrameRun, type PaneFrame, RGB_COLOR } from "./screen-frame.js";
import { type BufferInternals, printsAtCursorOnly } from "./xterm-internals.js";

/**
 * The visible screen of `term` as a PaneFrame: each row's cells as styled runs, read with the same cell rules
 * as the screen text read_pane returns (row-text.ts rowText, then sanitizeText), so a row's runs joined read
 * as that row, up to trailing blanks:
 * - a cell's text is its character with its combining marks; an empty cell is a space; a wide character's
 *   second cell is skipped; a cell of width 0 that holds a character (a format character with nothing to join)
 *   counts as one column;
 * - each run of cells a person cannot see (concealed, or drawn in their own background colour: hiddenCell)
 *   becomes one `⟨HIDDEN×n⟩` placeholder, drawn in the default style so the person sees it; such a run of
 *   blanks only stays blank, in its own colours;
 * - the row is sanitized as one text (sanitizePieces), each placeholder in the style of the cell it starts in.
 * Trailing blanks in the default style are left out.
 */
export function frameOf(term: Terminal): PaneFrame {
  const cell = term.buffer.active.getNullCell();
  const lines: FrameRun[][] = [];
  for (let row = 0; row < term.rows; row++) lines.push(screenRowRuns(term, row, cell));
  return { cols: term.cols, rows: term.rows, lines, ...frameCursor(term) };
}

/**
 * Row `row` (0-based, on the visible screen) of frameOf(term).lines, by itself; `cell` is scratch space
 * (buffer.getNullCell()). frame-rows.ts reads only the rows that changed with it.
 */
export function screenRowRuns(term: Terminal, row: number, cell: IBufferCell): FrameRun[] {
  const buffer = term.buffer.active;
  const line = buffer.getLine(buffer.baseY + row);
  return line ? rowRuns(line, cell, row === buffer.cursorY ? buffer.cursorX : 0) : [];
}

/** The cursor and the flags of frameOf(term). */
export function frameCursor(term: Terminal): Pick<PaneFrame, "cursor" | "cursorVisible" | "alternate"> {
  const buffer = term.buffer.active;
  return {
    // xterm leaves the cursor one past the last column while it waits to wrap; a person sees it on that column.
    cursor: { row: buffer.cursorY, col: Math.min(buffer.cursorX, term.cols - 1) },
    cursorVisible: cursorHidden(term) !== true,
    alternate: buffer.type === "alternate",
  };
}

/**
 * The style a printable character written now gets in frameOf's runs (EchoState.pen): the emulator's current
 * attributes (InputHandler._curAttrData, which has the cell API's style methods), or null when such a character
 * would not only be drawn at the cursor (printsAtCursorOnly).
 */
export function echoPen(term: Terminal, internals: BufferInternals): FrameStyle | null {
  if (!printsAtCursorOnly(term, internals)) return null;
  const pen = internals.input._curAttrData as unknown as CellStyle;
  return [fgOf(pen), bgOf(pen), attrsOf(pen)];
}

/** What a run's style is read from: a cell, or the emulator's current attributes (the same methods). */
type CellStyle = Pick<
  IBufferCell,
  | "isFgDefault"
  | "isFgRGB"
  | "getFgColor"
  | "isBgDefault"
  | "isBgRGB"
  | "getBgColor"
  | "isBold"
  | "isDim"
  | "isItalic"
  | "isUnderline"
  | "isBlink"
  | "isInverse"
  | "isStrikethrough"
  | "isOverline"
>;

/** Pieces of a row being built: texts and, per text, its style (fg, bg, attrs). */
class Pieces {
  readonly texts: string[] = [];
  readonly styles: number[] = [];

  /** Appends `text` in a style, to the last piece when that has the same style. */
  put(text: string, fg: number, bg: number, attrs: number): void {
    const last = this.texts.length - 1;
    const at = last * 3;
    if (last >= 0 && this.styles[at] === fg && this.styles[at + 1] === bg && this.styles[at + 2] === attrs) {
      this.texts[last] += text;
      return;
    }
    this.texts.push(text);
    this.styles.push(fg, bg, attrs);
  }
}

/**
 * Where a row's text ends, as rowText(line, true, keepColumns) cuts it: after the last cell with a character
 * (by that cell's width, so a trailing cell of width 0 is cut), or at `keepColumns` (the cursor's column on its
 * row) when that is further.
 */
function textEnd(line: IBufferLine, cell: IBufferCell, keepColumns: number): number {
  let end = 0;
  for (let col = line.length - 1; col >= 0; col--) {
    if (line.getCell(col, cell)?.getChars()) {
      end = col + cell.getWidth();
      break;
    }
  }
  return end < keepColumns ? Math.min(line.length, keepColumns) : end;
}

function rowRuns(line: IBufferLine, cell: IBufferCell, keepColumns: number): FrameRun[] {
  const pieces = new Pieces();
  // Cells past the text's end are drawn blank in their colours (a coloured bar) but hold no text.
  const end = textEnd(line, cell, keepColumns);
  // The current run of hidden cells: characters counted, blanks kept with their styles (as markedRowText).
  let hidden = 0;
  const blanks: number[] = [];
  const flushHidden = (): void => {
    if (hidden > 0) pieces.put(hiddenPlaceholder(hidden), DEFAULT_COLOR, DEFAULT_COLOR, 0);
    else {
      for (let i = 0; i < blanks.length; i += 3) {
        pieces.put(" ", blanks[i] as number, blanks[i + 1] as number, blanks[i + 2] as number);
      }
    }
    hidden = 0;
    blanks.length = 0;
  };
  for (let col = 0; col < line.length; ) {
    line.getCell(col, cell);
    const text = (col < end && cell.getChars()) || " ";
    if (hiddenPublicCell(cell)) {
      if (text === " ") blanks.push(fgOf(cell), bgOf(cell), attrsOf(cell));
      else hidden += 1;
    } else {
      if (hidden > 0 || blanks.length > 0) flushHidden();
      pieces.put(text, fgOf(cell), bgOf(cell), attrsOf(cell));
    }
    col += cell.getWidth() || 1;
  }
  flushHidden();
  const texts = sanitizePieces(pieces.texts);
  const runs: FrameRun[] = [];
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i] as string;
    if (text === "") continue; // inside a placeholder that began in the piece before
    const fg = pieces.styles[i * 3] as number;
    const bg = pieces.styles[i * 3 + 1] as number;
    const attrs = pieces.styles[i * 3 + 2] as number;
    const last = runs.at(-1);
    if (last && last[1] === fg && last[2] === bg && last[3] === attrs) last[0] += text;
    else runs.push([text, fg, bg, attrs]);
  }
  dropTrailingBlanks(runs);
  return runs;
}

function dropTrailingBlanks(runs: FrameRun[]): void {
  for (let last = runs.at(-1); last && isDefaultStyle(last); last = runs.at(-1)) {
    last[0] = last[0].replace(/ +$/u, "");
    if (last[0] !== "") return;
    runs.pop();
  }
}

function isDefaultStyle(run: FrameRun): boolean {
  return run[1] === DEFAULT_COLOR && run[2] === DEFAULT_COLOR && run[3] === 0;
}

function fgOf(cell: CellStyle): number {
  if (cell.isFgDefault()) return DEFAULT_COLOR;
  return cell.isFgRGB() ? RGB_COLOR + cell.getFgColor() : cell.getFgColor();
}

function bgOf(cell: CellStyle): number {
  if (cell.isBgDefault()) return DEFAULT_COLOR;
  return cell.isBgRGB() ? RGB_COLOR + cell.getBgColor() : cell.getBgColor();
}

/** Concealed (SGR 8) has no bit: such cells became placeholders above. */
function attrsOf(cell: CellStyle): number {
  return (
    (cell.isBold() ? ATTR.bold : 0) |
    (cell.isDim() ? ATTR.dim : 0) |
    (cell.isItalic() ? ATTR.italic : 0) |
    (cell.isUnderline() ? ATTR.underline : 0) |
    (cell.isBlink() ? ATTR.blink : 0) |
    (cell.isInverse() ? ATTR.inverse : 0) |
    (cell.isStrikethrough() ? ATTR.strike : 0) |
    (cell.isOverline() ? ATTR.overline : 0)
  );
}
