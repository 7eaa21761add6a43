/**
 * Splits pty output into pieces that can each scroll at most `maxRows` rows off the screen, so that the rows
 * can be moved into history after every piece before the emulator's small scrollback trims them. Counted per
 * byte, conservatively: line feeds (LF, VT, FF, ESC D, ESC E, C1 IND/NEL) and the rows that long lines can wrap
 * into (a tab counts as eight columns).
 */
export function splitByScrollBudget(chunk: Uint8Array, cols: number, maxRows: number): Uint8Array[] {
  const columnBudget = Math.max(1, cols) * maxRows;
  if (chunk.length * 8 <= columnBudget) return [chunk]; // cannot wrap past the budget even if all tabs
  const pieces: Uint8Array[] = [];
  let start = 0;
  let feeds = 0;
  let columns = 0;
  for (let i = 0; i < chunk.length; i++) {
    const byte = chunk[i] as number;
    if (byte === 0x0a || byte === 0x0b || byte === 0x0c) feeds += 1;
    else if (byte === 0x09) columns += 8;
    else if (byte === 0x1b) {
      const next = chunk[i + 1];
      if (next === 0x44 || next === 0x45) feeds += 1; // ESC D (IND), ESC E (NEL)
    } else if (byte === 0xc2) {
      const next = chunk[i + 1];
      if (next === 0x84 || next === 0x85) feeds += 1; // U+0084 IND, U+0085 NEL
    } else columns += 1;
    if (feeds * cols + columns >= columnBudget) {
      pieces.push(chunk.subarray(start, i + 1));
      start = i + 1;
      feeds = 0;
      columns = 0;
    }
  }
  if (start < chunk.length) pieces.push(chunk.subarray(start));
  return pieces;
}
