import type { IBufferLine } from "@xterm/headless";

/**
 * A screen row's cells as @xterm/headless 6 keeps them (BufferLine in xtermjs/xterm.js src/common/buffer):
 * three words per cell (content: code point, combined flag, width; fg; bg), the text of combined cells by
 * column, and the extended attributes (underline style) by column. Read-only: frame-rows.ts compares rows by
 * these words instead of reading each cell through the public API (a whole 120×40 screen: ~0.2 ms).
 */
export interface RowCells {
  data: Uint32Array;
  /** Cells in the row (`data` may be longer). */
  length: number;
  combined: Record<number, string>;
  extended: Record<number, { underlineStyle?: unknown } | undefined>;
}

export const CELL_WORDS = 3;
/** Content word: the cell holds a string in `combined` (its code point bits are then 0). */
export const IS_COMBINED = 0x200000;
/** bg word: the cell has extended attributes (isUnderline reads their underline style). */
export const HAS_EXTENDED = 0x10000000;

interface BufferLineInternals {
  _data?: unknown;
  _combined?: unknown;
  _extendedAttrs?: unknown;
  length?: unknown;
}

/**
 * The row's cells, or undefined when this xterm version keeps them elsewhere (callers then treat every row as
 * changed; test/panes/frame-rows.test.ts fails so the move is noticed).
 */
export function rowCells(line: IBufferLine): RowCells | undefined {
  const internal = (line as unknown as { _line?: BufferLineInternals })._line;
  const data = internal?._data;
  const length = internal?.length;
  const combined = internal?._combined;
  const extended = internal?._extendedAttrs;
  if (
    !(data instanceof Uint32Array) ||
    typeof length !== "number" ||
    length * CELL_WORDS > data.length ||
    typeof combined !== "object" ||
    combined === null ||
    typeof extended !== "object" ||
    extended === null
  ) {
    return undefined;
  }
  return {
    data,
    length,
    combined: combined as RowCells["combined"],
    extended: extended as RowCells["extended"],
  };
}
