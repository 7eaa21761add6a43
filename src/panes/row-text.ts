import type { IBufferLine } from "@xterm/headless";

// @xterm/headless 6 cell layout (src/common/buffer/Constants.ts): three uint32 per cell, the first holding the
// code point (21 bits), an "is combined" flag and the cell width.
const CELL_SIZE = 3;
const CODEPOINT_MASK = 0x1fffff;
const IS_COMBINED_MASK = 0x200000;
const WIDTH_SHIFT = 22;

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
 * The text of one emulator row, exactly as `line.translateToString(trimRight)` returns it, computed from the
 * row's cell array without allocating a string per cell (this runs for every row that scrolls off a screen).
 * Falls back to translateToString when the internals are not where this xterm version keeps them.
 */
export function rowText(line: IBufferLine, trimRight: boolean): string {
  const internal = (line as unknown as { _line?: BufferLineInternals })._line;
  const data = internal?._data;
  const length = internal?.length;
  if (!data || typeof length !== "number" || length * CELL_SIZE > data.length) {
    return line.translateToString(trimRight);
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
  }
  if (end > MAX_UNITS) return line.translateToString(trimRight);
  // Fast path: every cell one column wide and in Latin-1 (most program output). One byte per cell, one memcpy.
  let simple = 0;
  for (; simple < end; simple++) {
    const content = data[simple * CELL_SIZE] as number;
    const cp = content & CODEPOINT_MASK;
    if (cp >= 0x100 || content & IS_COMBINED_MASK || content >>> WIDTH_SHIFT > 1) break;
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
    if (n + 8 > MAX_UNITS) return line.translateToString(trimRight);
    if (content & IS_COMBINED_MASK) {
      const chars = combined[col] ?? "";
      if (n + chars.length + 8 > MAX_UNITS) return line.translateToString(trimRight);
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
