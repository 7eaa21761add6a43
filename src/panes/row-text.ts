import type { IBufferLine } from "@xterm/headless";

// @xterm/headless 6 cell layout (src/common/buffer/Constants.ts): three uint32 per cell, the first holding the
// code point (21 bits), an "is combined" flag and the cell width.
const CELL_SIZE = 3;
const CODEPOINT_MASK = 0x1fffff;
const IS_COMBINED_MASK = 0x200000;
const WIDTH_SHIFT = 22;
// The second and third words of a cell: foreground and background (Attributes, FgFlags in Constants.ts).
const FG = 1;
const BG = 2;
const INVISIBLE = 0x40000000;
const BOLD = 0x8000000;
const CM_MASK = 0x3000000;
const CM_P16 = 0x1000000;
const CM_P256 = 0x2000000;

/**
 * What a run of hidden characters becomes: `⟨HIDDEN×12⟩` (or `⟨HIDDEN⟩` for one), counting the cells with a
 * character in them. The characters themselves are never spelled out, so the placeholder cannot carry them.
 */
export function hiddenPlaceholder(count: number): string {
  return count === 1 ? "⟨HIDDEN⟩" : `⟨HIDDEN×${count}⟩`;
}

/**
 * True for a cell a person cannot see whatever their terminal's theme: concealed (SGR 8), or drawn in its
 * own background colour, both set explicitly to the same colour however it was written: palette entries 0-15
 * by index (SGR 31 and 38;5;1 are one entry), the fixed colours 16-255 and direct RGB by their RGB value
 * (38;5;196 is #ff0000). Not hidden: bold text in palette colours 0-7 (terminals draw it in the bright
 * variant, xterm.js's drawBoldTextInBrightColors), default colours and palette 0-15 against RGB (their look
 * depends on the theme), nor colours that are merely close.
 */
export function hiddenCell(fg: number, bg: number): boolean {
  if (fg & INVISIBLE) return true;
  const key = colourKey(fg);
  if (key < 0 || key !== colourKey(bg)) return false;
  return !(fg & BOLD && key < 8);
}

const CUBE_LEVELS = [0, 0x5f, 0x87, 0xaf, 0xd7, 0xff];

/**
 * One number per colour a person sees: -1 for the default, the index for palette entries 0-15, else
 * 0x1000000 + RGB (the xterm 256-colour cube and grey ramp for 16-255, as xterm.js draws them).
 */
function colourKey(word: number): number {
  const mode = word & CM_MASK;
  if (mode === 0) return -1;
  if (mode === CM_P16 || mode === CM_P256) {
    const index = word & 0xff;
    if (index < 16) return index;
    if (index >= 232) {
      const grey = 8 + 10 * (index - 232);
      return 0x1000000 + grey * 0x10101;
    }
    const i = index - 16;
    const level = (n: number): number => CUBE_LEVELS[n] as number;
    return (
      0x1000000 + level(Math.floor(i / 36)) * 0x10000 + level(Math.floor(i / 6) % 6) * 0x100 + level(i % 6)
    );
  }
  return 0x1000000 + (word & 0xffffff);
}

interface BufferLineInternals {
  _data?: Uint32Array;
  _combined?: Record<number, string>;
  length?: number;
}

const MAX_UNITS = 4096;
/** The row's UTF-16 code units while they all fit in one byte (the common case: decoded as latin1, a memcpy). */
const narrow = Buffer.allocUnsafe(MAX_UNITS);
/** The same once a unit does not (decoded as UTF-16LE). */
const wide = new Uint16Array(MAX_UNITS);
const wideBytes = Buffer.from(wide.buffer);

/**
 * The text of one emulator row, as `line.translateToString(trimRight)` returns it, computed from the row's
 * cell array without allocating a string per cell (this runs for every row that scrolls off a screen) -
 * except that each run of hidden cells (see hiddenCell) becomes hiddenPlaceholder(count). Falls back to the
 * public cell API when the internals are not where this xterm version keeps them.
 *
 * `keepColumns`: when trimming, the first this many columns are kept even if blank: the cursor's row passes
 * the cursor's column, so a prompt that ends in a space (`>>> `, or a gap made by a cursor move) reads as
 * printed (issue 10).
 */
export function rowText(line: IBufferLine, trimRight: boolean, keepColumns = 0): string {
  const internal = (line as unknown as { _line?: BufferLineInternals })._line;
  const data = internal?._data;
  const length = internal?.length;
  if (!data || typeof length !== "number" || length * CELL_SIZE > data.length) {
    return publicRowText(line, trimRight, keepColumns);
  }
  // Mirrors BufferLine.translateToString and getTrimmedLength of @xterm/headless 6.
  let end = length;
  if (trimRight) {
    end = 0;
    for (let col = length - 1; col >= 0; col--) {
      const content = data[col * CELL_SIZE] as number;
      if (content & (CODEPOINT_MASK | IS_COMBINED_MASK)) {
        end = col + (content >> WIDTH_SHIFT);
        break;
      }
    }
    if (end < keepColumns) end = Math.min(length, keepColumns);
  }
  if (end > MAX_UNITS) return markedRowText(data, internal?._combined ?? {}, end);
  // Fast path: every cell one column wide and in Latin-1 (most program output). One byte per cell, one memcpy.
  let simple = 0;
  for (; simple < end; simple++) {
    const content = data[simple * CELL_SIZE] as number;
    const cp = content & CODEPOINT_MASK;
    if (cp >= 0x100 || content & IS_COMBINED_MASK || content >>> WIDTH_SHIFT > 1) break;
    const fg = data[simple * CELL_SIZE + FG] as number;
    if (fg & (INVISIBLE | CM_MASK) && hiddenCell(fg, data[simple * CELL_SIZE + BG] as number)) break;
    narrow[simple] = cp === 0 ? 0x20 : cp;
  }
  if (simple === end) return narrow.toString("latin1", 0, end);
  const combined = internal?._combined ?? {};
  let n = 0;
  let oneByte = true;
  const put = (unit: number): void => {
    if (oneByte) {
      if (unit < 0x100) {
        narrow[n++] = unit;
        return;
      }
      oneByte = false;
      for (let i = 0; i < n; i++) wide[i] = narrow[i] as number;
    }
    wide[n++] = unit;
  };
  for (let col = 0; col < end; ) {
    const content = data[col * CELL_SIZE] as number;
    const fg = data[col * CELL_SIZE + FG] as number;
    if (fg & (INVISIBLE | CM_MASK) && hiddenCell(fg, data[col * CELL_SIZE + BG] as number)) {
      return markedRowText(data, combined, end);
    }
    if (n + 8 > MAX_UNITS) return markedRowText(data, combined, end);
    if (content & IS_COMBINED_MASK) {
      const chars = combined[col] ?? "";
      if (n + chars.length + 8 > MAX_UNITS) return markedRowText(data, combined, end);
      for (let i = 0; i < chars.length; i++) put(chars.charCodeAt(i));
    } else {
      const cp = content & CODEPOINT_MASK;
      if (cp === 0) put(0x20);
      else if (cp <= 0xffff) put(cp);
      else {
        const offset = cp - 0x10000;
        put(0xd800 + (offset >> 10));
        put(0xdc00 + (offset & 0x3ff));
      }
    }
    col += content >> WIDTH_SHIFT || 1;
  }
  return oneByte ? narrow.toString("latin1", 0, n) : wideBytes.toString("utf16le", 0, n * 2);
}

/** The slow path: any row, hidden runs replaced; one string per cell (rows with hidden text are rare). */
function markedRowText(data: Uint32Array, combined: Record<number, string>, end: number): string {
  const parts: string[] = [];
  let hidden = 0;
  let blanks = "";
  for (let col = 0; col < end; ) {
    const content = data[col * CELL_SIZE] as number;
    const width = content >> WIDTH_SHIFT || 1;
    const cp = content & CODEPOINT_MASK;
    const text =
      content & IS_COMBINED_MASK ? (combined[col] ?? "") : cp === 0 ? " " : String.fromCodePoint(cp);
    if (hiddenCell(data[col * CELL_SIZE + FG] as number, data[col * CELL_SIZE + BG] as number)) {
      if (text === " ") blanks += " ";
      else hidden += 1;
    } else {
      flushHidden();
      parts.push(text);
    }
    col += width;
  }
  flushHidden();
  return parts.join("");

  function flushHidden(): void {
    if (hidden > 0) parts.push(hiddenPlaceholder(hidden));
    else parts.push(blanks);
    hidden = 0;
    blanks = "";
  }
}

/** The same through xterm's public cell API, for a version whose internals moved. */
function publicRowText(line: IBufferLine, trimRight: boolean, keepColumns: number): string {
  const parts: string[] = [];
  let hidden = 0;
  let any = false;
  /** Columns up to the end of the last cell with a character in it. */
  let used = 0;
  for (let col = 0; col < line.length; col++) {
    const cell = line.getCell(col);
    if (!cell || cell.getWidth() === 0) continue;
    if (cell.getChars() !== "") used = col + cell.getWidth();
    const text = cell.getChars() || " ";
    if (hiddenPublicCell(cell) && text !== " ") {
      hidden += 1;
      any = true;
      continue;
    }
    if (hidden > 0) parts.push(hiddenPlaceholder(hidden));
    hidden = 0;
    parts.push(text);
  }
  if (hidden > 0) parts.push(hiddenPlaceholder(hidden));
  // Blank columns up to the cursor, as spaces (never the cells' own text: hidden cells stay hidden).
  const pad = trimRight ? " ".repeat(Math.max(0, Math.min(line.length, keepColumns) - used)) : "";
  if (!any) return line.translateToString(trimRight) + pad;
  const text = parts.join("");
  return trimRight ? text.replace(/\s+$/u, "") + pad : text;
}

type PublicCell = NonNullable<ReturnType<IBufferLine["getCell"]>>;

/** hiddenCell for a cell read through xterm's public cell API (IBufferCell). */
export function hiddenPublicCell(cell: PublicCell): boolean {
  const fg = (cell.isInvisible() ? INVISIBLE : 0) | (cell.isBold() ? BOLD : 0) | fgWord(cell);
  return hiddenCell(fg, bgWord(cell));
}

function fgWord(cell: PublicCell): number {
  const mode = cell.isFgRGB()
    ? CM_MASK
    : cell.isFgPalette()
      ? cell.getFgColor() < 16
        ? CM_P16
        : CM_P256
      : 0;
  return mode === 0 ? 0 : mode | (cell.getFgColor() & 0xffffff);
}

function bgWord(cell: PublicCell): number {
  const mode = cell.isBgRGB()
    ? CM_MASK
    : cell.isBgPalette()
      ? cell.getBgColor() < 16
        ? CM_P16
        : CM_P256
      : 0;
  return mode === 0 ? 0 : mode | (cell.getBgColor() & 0xffffff);
}
