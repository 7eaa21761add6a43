import { packText, unpackText } from "./packed-text.js";

/** Rows per block: the open block is an array; sealed blocks are one string, the rows joined by "\n". */
const BLOCK_ROWS = 256;
/**
 * UTF-16 code units of sealed history kept per pane (8 to 16 MB of heap). A row holds up to 400 columns of up
 * to 32 code units each (emulator-guards.ts), so rows alone do not bound the memory; the default 10 000 rows
 * of 120 columns stay well under it.
 */
export const MAX_HISTORY_UNITS = 8 * 1024 * 1024;
/**
 * A sealed block is packed once it is this old (ms) when the next block seals, or when the pane exits. A
 * flood drops its blocks sooner (10 000 rows at 40 MB/s last ~20 ms), so it packs none of them: deflating
 * every block cost a flood's screen thread ~10% more CPU. What stays in history is what gets packed.
 */
export const PACK_AFTER_MS = 250;

interface SealedBlock {
  /**
   * The block's rows joined by `separator` (a row never contains it); when `packed`, packText's output. Rows
   * from the emulator are joined by "\n"; a block of plain lines is the lines' own text, CR LF and all.
   */
  text: string;
  separator: "\n" | "\r\n";
  packed: boolean;
  /** Packing was tried since the block last changed (one that would not shrink is not deflated again). */
  packTried: boolean;
  /** Code units of the rows joined (what the unit cap counts, packed or not). */
  units: number;
  joins: Uint8Array;
  /** When the block was sealed (the clock's ms). */
  sealedAt: number;
}

/**
 * Rows that scrolled off a pane's screen, kept as text (about one byte per ASCII character plus a newline)
 * instead of the emulator's cell buffers (twelve bytes per cell). Full blocks of rows are sealed into one
 * string each, which saves the per-string overhead of 10 000 small strings; blocks that stay are deflated
 * (packed-text.ts: 10 000 rows of 80 columns take about 800 KB as text, from tens to a few hundred KB
 * packed). Reads return the same text either way. Rows are numbered absolutely: numbers keep growing, and
 * the oldest rows fall out past `capacity`.
 */
export class RowHistory {
  private readonly sealed: SealedBlock[] = [];
  /** Absolute number of the first row of sealed[0] (or of the open block when nothing is sealed). */
  private base = 0;
  private openTexts: string[] = [];
  private openJoins: number[] = [];
  private next = 0;
  private cache: { block: SealedBlock; rows: string[] } | undefined;
  /** Code units held in sealed blocks. */
  private sealedUnits = 0;

  /**
   * `capacity`: rows kept; `maxUnits`: UTF-16 code units kept in sealed blocks (whole blocks go first);
   * `clock`: ms, for the age at which a block is packed (PACK_AFTER_MS).
   */
  constructor(
    readonly capacity: number,
    private readonly maxUnits = MAX_HISTORY_UNITS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Absolute number of the oldest row still held. */
  get start(): number {
    return Math.max(this.base, this.next - this.capacity);
  }

  /** Absolute number the next pushed row will get. */
  get end(): number {
    return this.next;
  }

  /** Sealed blocks held packed (a diagnostic). */
  get packedBlocks(): number {
    return this.sealed.filter((block) => block.packed).length;
  }

  /** Appends a row; `joinsNext` means the row wrapped and continues on the next row (no line break). */
  push(text: string, joinsNext: boolean): void {
    this.next += 1;
    if (this.capacity === 0) {
      this.base = this.next;
      return;
    }
    this.openTexts.push(text);
    this.openJoins.push(joinsNext ? 1 : 0);
    if (this.openTexts.length === BLOCK_ROWS) this.seal();
  }

  /**
   * Appends the rows of whole plain lines (printable ASCII, no tab), `bytes` holding each line followed by
   * CR LF and `ends` the index after each line's LF, in order: a line fills a row per `cols` characters, an
   * empty one a row, as push would be given them. Why: a flood's lines reach history here (PaneScreen's bypass),
   * and while no block is open, each run of BLOCK_ROWS lines that fit a row becomes a sealed block of one
   * string decoded from `bytes`: no string per row, no join (profiled: half of the bypass's time, and most of
   * its garbage). Every string is decoded on its own, not sliced from a larger one, which V8 would keep whole
   * while any slice lives (measured: +20 MiB in the 100-pane history bench).
   */
  pushPlainLines(bytes: Buffer, ends: readonly number[], cols: number): void {
    let start = 0;
    /** The first line at or after the current one that is wider than `cols` (ends.length when none is). */
    let wide = -1;
    for (let line = 0; line < ends.length; ) {
      if (this.openTexts.length === 0 && this.capacity > 0 && ends.length - line >= BLOCK_ROWS) {
        if (wide < line) {
          wide = line;
          for (let from = start; wide < ends.length; wide++) {
            const end = ends[wide] as number;
            if (end - 2 - from > cols) break;
            from = end;
          }
        }
        if (wide - line >= BLOCK_ROWS) {
          const last = ends[line + BLOCK_ROWS - 1] as number;
          this.next += BLOCK_ROWS;
          this.addSealed(bytes.toString("latin1", start, last - 2), "\r\n", new Uint8Array(BLOCK_ROWS));
          start = last;
          line += BLOCK_ROWS;
          continue;
        }
      }
      const end = (ends[line] as number) - 2;
      if (end - start <= cols) this.push(bytes.toString("latin1", start, end), false);
      else
        for (let at = start; at < end; at += cols)
          this.push(bytes.toString("latin1", at, Math.min(at + cols, end)), at + cols < end);
      start = end + 2;
      line += 1;
    }
  }

  /**
   * Replaces the last row pushed: its text and whether it joins the next row (the row after it changed before
   * it left the screen). O(1) in the open block, O(block) when the row sealed one.
   */
  replaceLast(text: string, joinsNext: boolean): void {
    if (this.next === 0 || this.capacity === 0) return;
    if (this.openTexts.length > 0) {
      this.openTexts[this.openTexts.length - 1] = text;
      this.openJoins[this.openJoins.length - 1] = joinsNext ? 1 : 0;
      return;
    }
    const block = this.sealed.at(-1);
    if (!block || this.base + this.sealed.length * BLOCK_ROWS !== this.next) return;
    const rows = this.rowsOf(block).slice();
    rows[BLOCK_ROWS - 1] = text;
    const joined = rows.join("\n");
    this.sealedUnits += joined.length - block.units;
    block.text = joined;
    block.separator = "\n";
    block.packed = false;
    block.packTried = false;
    block.units = joined.length;
    block.joins[BLOCK_ROWS - 1] = joinsNext ? 1 : 0;
    this.cache = undefined;
  }

  /**
   * Takes back the last `count` rows pushed, when they are all still held: true, and the next pushed row gets
   * the first one's number again; false, and nothing changes. Sealed blocks they are in are opened again (the
   * open block then holds fewer than BLOCK_ROWS rows, as always). For a line history holds part of that a
   * resize re-wraps whole (PaneScreen.resize).
   */
  dropLast(count: number): boolean {
    if (count <= 0) return true;
    if (this.capacity === 0 || this.next - count < this.start) return false;
    while (count > this.openTexts.length) {
      const block = this.sealed.pop();
      if (!block) return false; // cannot happen: `start` counts only rows held
      if (this.cache?.block === block) this.cache = undefined;
      const rows = block.packed
        ? unpackText(block.text).split(block.separator)
        : block.text.split(block.separator);
      this.openTexts = [...rows, ...this.openTexts];
      this.openJoins = [...block.joins, ...this.openJoins];
      this.sealedUnits -= block.units;
    }
    this.openTexts.length -= count;
    this.openJoins.length -= count;
    this.next -= count;
    return true;
  }

  text(row: number): string {
    const { index, offset } = this.locate(row);
    if (index === this.sealed.length) return this.openTexts[offset] ?? "";
    return this.rowsOf(this.sealed[index] as SealedBlock)[offset] ?? "";
  }

  joinsNext(row: number): boolean {
    const { index, offset } = this.locate(row);
    if (index === this.sealed.length) return this.openJoins[offset] === 1;
    return (this.sealed[index] as SealedBlock).joins[offset] === 1;
  }

  private locate(row: number): { index: number; offset: number } {
    const relative = row - this.base;
    return { index: Math.floor(relative / BLOCK_ROWS), offset: relative % BLOCK_ROWS };
  }

  /**
   * Packs every sealed block now, whatever its age: for a pane that is done printing (its program exited).
   * Reading a packed block inflates it again (~60 µs per block of 256 rows; the last block read is cached).
   */
  pack(): void {
    this.packSealedBefore(Number.POSITIVE_INFINITY);
  }

  /** Packs the blocks sealed before `time`, oldest first; those that packing would not shrink stay text. */
  private packSealedBefore(time: number): void {
    for (const block of this.sealed) {
      if (block.sealedAt >= time) break;
      if (block.packTried) continue;
      block.packTried = true;
      const packed = packText(block.text);
      if (packed === undefined) continue;
      if (this.cache?.block === block) this.cache = undefined;
      block.text = packed;
      block.packed = true;
    }
  }

  private rowsOf(block: SealedBlock): string[] {
    if (this.cache?.block !== block) {
      const text = block.packed ? unpackText(block.text) : block.text;
      this.cache = { block, rows: text.split(block.separator) };
    }
    return this.cache.rows;
  }

  private seal(): void {
    const joins = Uint8Array.from(this.openJoins);
    const text = this.openTexts.join("\n");
    this.openTexts = [];
    this.openJoins = [];
    this.addSealed(text, "\n", joins);
  }

  /** Adds the sealed block of the BLOCK_ROWS rows before `next` (none open), then drops and packs old blocks. */
  private addSealed(text: string, separator: SealedBlock["separator"], joins: Uint8Array): void {
    const now = this.clock();
    this.sealed.push({
      text,
      separator,
      packed: false,
      packTried: false,
      units: text.length,
      joins,
      sealedAt: now,
    });
    this.sealedUnits += text.length;
    // Drop whole blocks once the rest still holds `capacity` rows.
    // Security: wide rows of combining marks would make 10 000 rows hundreds of MB: history is bounded in
    // code units too, so a pane's output cannot exhaust the screen thread's heap.
    while (
      this.sealed.length > 0 &&
      (this.next - (this.base + BLOCK_ROWS) >= this.capacity || this.sealedUnits > this.maxUnits)
    ) {
      const dropped = this.sealed.shift() as SealedBlock;
      if (this.cache?.block === dropped) this.cache = undefined;
      this.sealedUnits -= dropped.units;
      this.base += BLOCK_ROWS;
    }
    this.packSealedBefore(now - PACK_AFTER_MS);
  }
}
