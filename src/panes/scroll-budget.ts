/**
 * Splits pty output into pieces that can each scroll at most `maxRows` rows off the screen, so that the rows
 * can be moved into history after every piece before the emulator's small scrollback trims them. Counted per
 * byte, conservatively: line feeds (LF, VT, FF, ESC D, ESC E, C1 IND/NEL) and the rows that long lines can wrap
 * into (a tab counts as eight columns).
 */
export function splitByScrollBudget(chunk: Uint8Array, cols: number, maxRows: number): Uint8Array[] {
  const columnBudget = Math.max(1, cols) * maxRows;
  if (chunk.length <= maxRows) return [chunk]; // every byte scrolls at most one row (a tab only moves right)
  if (!hasRareFeeds(chunk)) return splitByLineFeeds(chunk, Math.max(1, cols), maxRows);
  return splitByteByByte(chunk, cols, columnBudget);
}

const RARE = [[0x09], [0x0b], [0x0c], [0x1b, 0x44], [0x1b, 0x45], [0xc2, 0x84], [0xc2, 0x85]].map((bytes) =>
  Buffer.from(bytes),
);

/** Tabs, VT, FF, IND, NEL: rare in program output, and what the fast path does not count. */
function hasRareFeeds(chunk: Uint8Array): boolean {
  const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return RARE.some((needle) => buffer.indexOf(needle) !== -1);
}

/**
 * The common case, with native searches: pieces end at the line feed that would exceed the budget, where a
 * line of n bytes counts as the ceil(n / cols) rows it can fill (escape sequences count as columns, so this
 * only overestimates).
 */
function splitByLineFeeds(chunk: Uint8Array, cols: number, maxRows: number): Uint8Array[] {
  const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const pieces: Uint8Array[] = [];
  let start = 0;
  let rows = 0;
  let lineStart = 0;
  for (;;) {
    const feed = buffer.indexOf(0x0a, lineStart);
    const lineEnd = feed === -1 ? buffer.length : feed + 1;
    // A line of n bytes fills at most ceil(n / cols) rows; its feed scrolls by one more only when it is empty.
    const lineRows = Math.max(
      feed === -1 ? 0 : 1,
      Math.ceil((lineEnd - (feed === -1 ? 0 : 1) - lineStart) / cols),
    );
    if (rows + lineRows > maxRows && lineStart > start) {
      pieces.push(chunk.subarray(start, lineStart));
      start = lineStart;
      rows = 0;
    }
    rows += lineRows;
    if (rows > maxRows) {
      // one line longer than the whole budget: cut it by columns
      const cut = start + Math.max(1, (maxRows - 1) * cols);
      pieces.push(chunk.subarray(start, cut));
      start = cut;
      lineStart = cut;
      rows = 0;
      continue;
    }
    if (feed === -1) break;
    lineStart = lineEnd;
  }
  if (start < chunk.length) pieces.push(chunk.subarray(start));
  return pieces;
}

function splitByteByByte(chunk: Uint8Array, cols: number, columnBudget: number): Uint8Array[] {
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
