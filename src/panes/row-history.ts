/** Rows per block: the open block is an array; sealed blocks are one string, the rows joined by "\n". */
const BLOCK_ROWS = 256;
/**
 * UTF-16 code units of sealed history kept per pane (8 to 16 MB of heap). A row holds up to 400 columns of up
 * to 32 code units each (emulator-guards.ts), so rows alone do not bound the memory; the default 10 000 rows
 * of 120 columns stay well under it.
 */
export const MAX_HISTORY_UNITS = 8 * 1024 * 1024;

interface SealedBlock {
  /** The block's rows joined by "\n" (a rendered row never contains a newline). */
  text: string;
  joins: Uint8Array;
}

/**
 * Rows that scrolled off a pane's screen, kept as text (about one byte per ASCII character plus a newline)
 * instead of the emulator's cell buffers (twelve bytes per cell). Full blocks of rows are sealed into one
 * string each, which saves the per-string overhead of 10 000 small strings. Rows are numbered absolutely:
 * numbers keep growing, and the oldest rows fall out past `capacity`.
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

  /** `capacity`: rows kept; `maxUnits`: UTF-16 code units kept in sealed blocks (whole blocks go first). */
  constructor(
    readonly capacity: number,
    private readonly maxUnits = MAX_HISTORY_UNITS,
  ) {}

  /** Absolute number of the oldest row still held. */
  get start(): number {
    return Math.max(this.base, this.next - this.capacity);
  }

  /** Absolute number the next pushed row will get. */
  get end(): number {
    return this.next;
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
    this.sealedUnits += joined.length - block.text.length;
    block.text = joined;
    block.joins[BLOCK_ROWS - 1] = joinsNext ? 1 : 0;
    this.cache = undefined;
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

  private rowsOf(block: SealedBlock): string[] {
    if (this.cache?.block !== block) this.cache = { block, rows: block.text.split("\n") };
    return this.cache.rows;
  }

  private seal(): void {
    const text = this.openTexts.join("\n");
    this.sealed.push({ text, joins: Uint8Array.from(this.openJoins) });
    this.sealedUnits += text.length;
    this.openTexts = [];
    this.openJoins = [];
    // Drop whole blocks once the rest still holds `capacity` rows.
    // Security: wide rows of combining marks would make 10 000 rows hundreds of MB: history is bounded in
    // code units too, so a pane's output cannot exhaust the screen thread's heap.
    while (
      this.sealed.length > 0 &&
      (this.next - (this.base + BLOCK_ROWS) >= this.capacity || this.sealedUnits > this.maxUnits)
    ) {
      const dropped = this.sealed.shift() as SealedBlock;
      if (this.cache?.block === dropped) this.cache = undefined;
      this.sealedUnits -= dropped.text.length;
      this.base += BLOCK_ROWS;
    }
  }
}
