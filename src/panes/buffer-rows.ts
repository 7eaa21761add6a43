import type { IBuffer, IBufferLine } from "@xterm/headless";

/**
 * Row `y` of `buffer`, or undefined past its last row. Security: xterm's getLine does not check: its rows are a
 * ring, and once the buffer is full (the alternate screen always is) the row after the last is the first,
 * whose wrap flag then joined the bottom row to nothing (a bottom row read with its blanks, or joined to
 * the oldest row's text).
 */
export function lineAt(buffer: IBuffer, y: number): IBufferLine | undefined {
  return y >= 0 && y < buffer.length ? buffer.getLine(y) : undefined;
}
