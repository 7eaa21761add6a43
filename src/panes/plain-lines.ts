import { byteIndex } from "./byte-search.js";

const CR = 0x0d;
const LF = 0x0a;

/**
 * Printable bytes a plain line may hold. A longer line (a minified bundle, a 1 GB line without a newline) is
 * left to the emulator, which handles long lines in pieces; held back, it would only grow the queue.
 */
export const MAX_PLAIN_LINE_BYTES = 4096;

/**
 * Where plain text ends in `chunk`, reading from `from`: the index of the first byte that is not printable
 * ASCII (0x20-0x7E), a CR that is not followed by LF, or an LF that does not follow a CR (`chunk.length` when
 * every byte is plain). Plain text prints the same on any screen position the emulator could be in while the
 * pane is in plain state (see plainLinesScroll): one cell per byte, a line break per CR LF. A CR as the very
 * last byte is plain (the next chunk says what it is).
 *
 * `lineSoFar`: printable bytes of the current line already held; `afterCR`: the byte before `from` was a CR.
 * `feeds`, when given, gets the index of every LF that ends a plain line, in order (the caller then needs no
 * second pass to find the lines). Cost: one pass over the bytes it accepts, four at a time where aligned.
 */
export function plainTextEnd(
  chunk: Uint8Array,
  from: number,
  lineSoFar: number,
  afterCR: boolean,
  feeds?: number[],
): number {
  const n = chunk.length;
  // Security: a CR held from the last chunk is plain only with its LF; "AAAA\r" then "BB" overwrites (a
  // progress bar, a redrawn prompt) and went to history as one line with the CR in it (an attack review).
  if (afterCR && from < n) {
    if (chunk[from] !== LF) return from;
    feeds?.push(from);
    return plainTextEnd(chunk, from + 1, 0, false, feeds);
  }
  const words = wordView(chunk, from);
  // Where the current line's printable bytes began (before `from` when some were held), so the line's length
  // at index i is i - lineStart, and the first byte past MAX_PLAIN_LINE_BYTES is at lineStart + that.
  let lineStart = from - lineSoFar;
  let i = from;
  for (;;) {
    const stop = skipPrintable(chunk, i, words);
    const limit = lineStart + MAX_PLAIN_LINE_BYTES;
    if (stop > limit) return Math.max(limit, i);
    if (stop === n) return n;
    const byte = chunk[stop];
    if (byte !== CR) return stop; // a control byte, DEL, a byte of UTF-8, or an LF without its CR
    if (stop + 1 === n) return n; // the next chunk says what this CR is
    if (chunk[stop + 1] !== LF) return stop;
    feeds?.push(stop + 1);
    i = stop + 2;
    lineStart = i;
  }
}

/** The 32-bit words of `chunk` from the first aligned one at or after `from`, or undefined when too short. */
function wordView(chunk: Uint8Array, from: number): { words: Uint32Array; first: number } | undefined {
  const aligned = (4 - ((chunk.byteOffset + from) & 3)) & 3;
  const count = (chunk.length - from - aligned) >> 2;
  if (count < 2) return undefined;
  return {
    words: new Uint32Array(chunk.buffer, chunk.byteOffset + from + aligned, count),
    first: from + aligned,
  };
}

/**
 * The index of the first byte at or after `from` that is not printable ASCII (`chunk.length` when none is):
 * byte by byte up to the next word of `view`, then word by word, then byte by byte again from the first word
 * that is not all printable. A word holds a byte outside 0x20-0x7E exactly when one of its bytes is below 0x20
 * (subtracting 0x20 borrows into its top bit), 0x7F (adding 1 carries into it) or above (the top bit is set): no
 * byte below the first such byte borrows or carries, so the first one always shows.
 */
function skipPrintable(
  chunk: Uint8Array,
  from: number,
  view: { words: Uint32Array; first: number } | undefined,
): number {
  let i = from;
  if (view !== undefined) {
    const { words, first } = view;
    let w = i <= first ? 0 : (i - first + 3) >> 2;
    if (w < words.length) {
      for (const boundary = first + w * 4; i < boundary; i++) {
        const byte = chunk[i] as number;
        if (byte < 0x20 || byte > 0x7e) return i;
      }
      while (w < words.length) {
        const word = words[w] as number;
        if (((word - 0x20202020) | (word + 0x01010101) | word) & 0x80808080) break;
        w += 1;
      }
      i = first + w * 4;
    }
  }
  for (const n = chunk.length; i < n; i++) {
    const byte = chunk[i] as number;
    if (byte < 0x20 || byte > 0x7e) return i;
  }
  return chunk.length;
}

/** Rows a plain line of `length` printable bytes fills on a screen `cols` wide (an empty line fills one). */
export function plainLineRows(length: number, cols: number): number {
  return length === 0 ? 1 : Math.ceil(length / cols);
}

const EMPTY = Buffer.alloc(0);

/**
 * Plain text not yet given to the emulator (see PaneScreen's bypass): whole lines ended by CR LF, then part of
 * a line. Bytes are kept as they came; `drain` returns them in order, so the emulator can always be given
 * exactly what it skipped. Memory: the lines kept back plus one line, bounded by the caller.
 */
export class PendingLines {
  /** Allocated on first use and given back when drained: an idle pane holds none. */
  private bytes = EMPTY;
  private length = 0;
  /** Offset of the current (unfinished) line's first byte. */
  private lineStart = 0;
  /** Rows the whole lines held fill, at the width they were counted at. */
  private heldRows = 0;
  /** Where each whole line held ends in `bytes` (the index after its LF), oldest first. */
  private readonly ends: number[] = [];

  get empty(): boolean {
    return this.length === 0;
  }

  get rows(): number {
    return this.heldRows;
  }

  /** Printable bytes of the unfinished line (not counting a CR it ends with). */
  get lineSoFar(): number {
    const tail = this.length - this.lineStart;
    return this.endsWithCR ? tail - 1 : tail;
  }

  get endsWithCR(): boolean {
    return this.length > 0 && this.bytes[this.length - 1] === CR;
  }

  /**
   * Holds `chunk[from, to)` (plain text, as plainTextEnd accepts it) and counts the lines it ends at `cols`;
   * `feeds` are the indices in `chunk` of the LFs that end lines in that range, as plainTextEnd found them.
   */
  append(chunk: Uint8Array, from: number, to: number, cols: number, feeds: readonly number[]): void {
    const size = to - from;
    if (this.length + size > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + size, 16 * 1024));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    this.bytes.set(chunk.subarray(from, to), this.length);
    const shift = this.length - from;
    this.length += size;
    for (const feed of feeds) {
      const at = feed + shift;
      // The line ends with CR LF: its printable bytes stop before the CR.
      this.heldRows += plainLineRows(at - 1 - this.lineStart, cols);
      this.lineStart = at + 1;
      this.ends.push(at + 1);
    }
  }

  /**
   * Takes out the oldest whole lines, as many as can go while the lines held still fill at least `keepRows`
   * rows at `cols`, and hands them to `take` before they leave: their bytes (each line ended by CR LF; valid
   * during the call only) and where each line ends in them (the index after its LF). False when none can go.
   */
  takeOldest(
    keepRows: number,
    cols: number,
    take: (bytes: Buffer, ends: readonly number[]) => void,
  ): boolean {
    const ends = this.ends;
    let taken = 0;
    let cut = 0;
    let rows = this.heldRows;
    while (taken < ends.length) {
      const end = ends[taken] as number;
      const lineRows = plainLineRows(end - 2 - cut, cols);
      if (rows - lineRows < keepRows) break;
      rows -= lineRows;
      cut = end;
      taken += 1;
    }
    if (taken === 0) return false;
    take(this.bytes.subarray(0, cut), ends.slice(0, taken));
    for (let j = taken; j < ends.length; j++) ends[j - taken] = (ends[j] as number) - cut;
    ends.length -= taken;
    this.bytes.copyWithin(0, cut, this.length);
    this.length -= cut;
    this.lineStart -= cut;
    this.heldRows = rows;
    return true;
  }

  /** Every byte held, in order; empties the queue. */
  drain(): Uint8Array {
    const out = Uint8Array.prototype.slice.call(this.bytes, 0, this.length);
    this.bytes = EMPTY;
    this.length = 0;
    this.lineStart = 0;
    this.heldRows = 0;
    this.ends.length = 0;
    return out;
  }
}

/**
 * Where the emulator's share of `chunk` from `at` ends: the first line start after the line `at` is in from
 * which at least `minLines` whole plain lines follow, or plain text runs to the chunk's end; `chunk.length`
 * when there is none. Output that is not plain text (colours on every line) thus goes to the emulator in one
 * piece, not line by line.
 */
export function nextPlainRun(chunk: Uint8Array, at: number, minLines: number): number {
  const n = chunk.length;
  let feed = byteIndex(chunk, LF, at);
  while (feed !== -1 && feed + 1 < n) {
    const start = feed + 1;
    const end = plainTextEnd(chunk, start, 0, false);
    if (end === n) return start;
    let lines = 0;
    for (
      let p = byteIndex(chunk, LF, start);
      p !== -1 && p < end && lines < minLines;
      p = byteIndex(chunk, LF, p + 1)
    ) {
      lines += 1;
    }
    if (lines >= minLines) return start;
    feed = byteIndex(chunk, LF, end);
  }
  return n;
}
