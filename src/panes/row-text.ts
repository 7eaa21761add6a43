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

const codes = new Uint16Array(4096);

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
  const combined = internal?._combined ?? {};
  let n = 0;
  for (let col = 0; col < end; ) {
    const content = data[col * CELL_SIZE] as number;
    if (n + 8 > codes.length) return line.translateToString(trimRight);
    if (content & IS_COMBINED_MASK) {
      const chars = combined[col] ?? "";
      if (n + chars.length > codes.length) return line.translateToString(trimRight);
      for (let i = 0; i < chars.length; i++) codes[n++] = chars.charCodeAt(i);
    } else {
      const cp = content & CODEPOINT_MASK;
      if (cp === 0) codes[n++] = 0x20;
      else if (cp <= 0xffff) codes[n++] = cp;
      else {
        const offset = cp - 0x10000;
        codes[n++] = 0xd800 + (offset >> 10);
        codes[n++] = 0xdc00 + (offset & 0x3ff);
      }
    }
    col += content >> WIDTH_SHIFT || 1;
  }
  return decode(n);
}

function decode(n: number): string {
  let out = "";
  for (let i = 0; i < n; i += 1024) {
    out += String.fromCharCode.apply(null, codes.subarray(i, Math.min(n, i + 1024)) as unknown as number[]);
  }
  return out;
}
