import type { IBufferLine } from "@xterm/headless";
import { rowText } from "./row-text.js";

/**
 * The text of a row that wraps onto `next` (untrimmed: its trailing blanks are part of the logical line),
 * minus the blank cell a terminal leaves in the last column when the next character is two columns wide and
 * does not fit there: that cell is padding, not output. Mirrors xterm.js getWrappedLineTrimmedLength
 * (src/common/buffer/BufferReflow.ts).
 *
 * Why: `printf '1234567890123456789中'` in a 20-column pane read back as `1234567890123456789 中`.
 */
export function wrappedRowText(line: IBufferLine, next: IBufferLine): string {
  const text = rowText(line, false);
  const last = line.getCell(line.length - 1);
  if (last && last.getCode() === 0 && last.getWidth() === 1 && next.getCell(0)?.getWidth() === 2) {
    return text.slice(0, -1);
  }
  return text;
}

/**
 * A buffer row's text as history records it: joined to `next` when that row continues its line (wrappedRowText,
 * blanks kept), else trimmed (rowText).
 */
export function recordedRowText(line: IBufferLine, next: IBufferLine | undefined): string {
  return next?.isWrapped === true ? wrappedRowText(line, next) : rowText(line, true);
}
