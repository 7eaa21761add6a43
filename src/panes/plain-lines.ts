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
 * Cost: one pass over the bytes it accepts.
 */
export function plainTextEnd(chunk: Uint8Array, from: number, lineSoFar: number, afterCR: boolean): number {
  const n = chunk.length;
  // Security: a CR held from the last chunk is plain only with its LF; "AAAA\r" then "BB" overwrites (a
  // progress bar, a redrawn prompt) and went to history as one line with the CR in it (an attack review).
  if (afterCR && from < n && chunk[from] !== LF) return from;
  let line = lineSoFar;
  let i = from;
  // Four bytes at a time where they are aligned: a word of printable ASCII (no byte below 0x20, none above
  // 0x7e) is skipped whole; any other word is read byte by byte below.
  const aligned = (4 - ((chunk.byteOffset + i) & 3)) & 3;
  const words =
    n - i >= 8 + aligned
      ? new Uint32Array(chunk.buffer, chunk.byteOffset + i + aligned, (n - i - aligned) >> 2)
      : undefined;
  const wordsFrom = i + aligned;
  const wordsEnd = words ? wordsFrom + words.length * 4 : i;
  while (i < n) {
    if (words !== undefined && i >= wordsFrom && i + 4 <= wordsEnd) {
      const word = words[(i - wordsFrom) >> 2] as number;
      const printable = ((((word - 0x20202020) & ~word) | ((word + 0x01010101) | word)) & 0x80808080) === 0;
      if (printable && line + 4 <= MAX_PLAIN_LINE_BYTES) {
        line += 4;
        i += 4;
        continue;
      }
    }
    const stop = words !== undefined && i >= wordsFrom && i + 4 <= wordsEnd ? i + 4 : i + 1;
    for (; i < stop; i++) {
      const byte = chunk[i] as number;
      if (byte >= 0x20 && byte <= 0x7e) {
        line += 1;
        if (line > MAX_PLAIN_LINE_BYTES) return i;
      } else if (byte === CR) {
        if (i + 1 < n && chunk[i + 1] !== LF) return i;
      } else if (byte === LF) {
        if (i === from ? !afterCR : chunk[i - 1] !== CR) return i;
        line = 0;
      } else return i;
    }
  }
  return n;
}

/** Rows a plain line of `length` printable bytes fills on a screen `cols` wide (an empty line fills one). */
export function plainLineRows(length: number, cols: number): number {
  return length === 0 ? 1 : Math.ceil(length / cols);
}

/**
 * Splits the text of whole plain lines (each ended by CR LF) into the rows they fill at `cols`, in order:
 * `push(text, joinsNext)` per row, `joinsNext` for a row the line wraps out of (what the emulator's rows and
 * isWrapped flags would say).
 */
export function eachPlainRow(
  text: string,
  cols: number,
  push: (row: string, joinsNext: boolean) => void,
): void {
  const lines = text.split("\r\n");
  lines.pop(); // the text ends with CR LF: nothing follows the last one
  for (const line of lines) {
    if (line.length <= cols) {
      push(line, false);
      continue;
    }
    for (let at = 0; at < line.length; at += cols) push(line.slice(at, at + cols), at + cols < line.length);
  }
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

  /** Holds `chunk[from, to)` (plain text, as plainTextEnd accepts it) and counts the lines it ends at `cols`. */
  append(chunk: Uint8Array, from: number, to: number, cols: number): void {
    const size = to - from;
    if (this.length + size > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + size, 16 * 1024));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    this.bytes.set(chunk.subarray(from, to), this.length);
    let feed = this.bytes.indexOf(LF, this.length);
    this.length += size;
    while (feed !== -1 && feed < this.length) {
      // The line ends with CR LF: its printable bytes stop before the CR.
      this.heldRows += plainLineRows(feed - 1 - this.lineStart, cols);
      this.lineStart = feed + 1;
      feed = this.bytes.indexOf(LF, this.lineStart);
    }
  }

  /**
   * Takes out the oldest whole lines, as many as can go while the lines held still fill at least `keepRows`
   * rows at `cols`; returns their text (each line ended by CR LF), or "" when none can go.
   */
  takeOldest(keepRows: number, cols: number): string {
    let cut = 0;
    let rows = this.heldRows;
    while (cut < this.lineStart) {
      const feed = this.bytes.indexOf(LF, cut);
      const lineRows = plainLineRows(feed - 1 - cut, cols);
      if (rows - lineRows < keepRows) break;
      rows -= lineRows;
      cut = feed + 1;
    }
    if (cut === 0) return "";
    const text = this.bytes.toString("latin1", 0, cut);
    this.bytes.copyWithin(0, cut, this.length);
    this.length -= cut;
    this.lineStart -= cut;
    this.heldRows = rows;
    return text;
  }

  /** Every byte held, in order; empties the queue. */
  drain(): Uint8Array {
    const out = Uint8Array.prototype.slice.call(this.bytes, 0, this.length);
    this.bytes = EMPTY;
    this.length = 0;
    this.lineStart = 0;
    this.heldRows = 0;
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
  let feed = chunk.indexOf(LF, at);
  while (feed !== -1 && feed + 1 < n) {
    const start = feed + 1;
    const end = plainTextEnd(chunk, start, 0, false);
    if (end === n) return start;
    let lines = 0;
    for (
      let p = chunk.indexOf(LF, start);
      p !== -1 && p < end && lines < minLines;
      p = chunk.indexOf(LF, p + 1)
    ) {
      lines += 1;
    }
    if (lines >= minLines) return start;
    feed = chunk.indexOf(LF, end);
  }
  return n;
}
