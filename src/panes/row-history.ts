/**
 * Rows that scrolled off a pane's screen, kept as plain strings (about one byte per ASCII character) instead of
 * the emulator's cell buffers (twelve bytes per cell). A ring of `capacity` rows with absolute numbering:
 * row numbers keep growing, and the oldest rows fall out when the ring is full.
 */
export class RowHistory {
  private readonly texts: string[];
  private readonly joins: Uint8Array;
  private first = 0;
  private next = 0;

  constructor(readonly capacity: number) {
    this.texts = new Array<string>(capacity);
    this.joins = new Uint8Array(Math.max(1, capacity));
  }

  /** Absolute number of the oldest row still held. */
  get start(): number {
    return this.first;
  }

  /** Absolute number the next pushed row will get. */
  get end(): number {
    return this.next;
  }

  /** Appends a row; `joinsNext` means the row wrapped and continues on the next row (no line break). */
  push(text: string, joinsNext: boolean): void {
    if (this.capacity === 0) {
      this.first = this.next = this.next + 1;
      return;
    }
    const slot = this.next % this.capacity;
    this.texts[slot] = text;
    this.joins[slot] = joinsNext ? 1 : 0;
    this.next += 1;
    if (this.next - this.first > this.capacity) this.first = this.next - this.capacity;
  }

  text(row: number): string {
    return this.texts[row % this.capacity] ?? "";
  }

  joinsNext(row: number): boolean {
    return this.joins[row % this.capacity] === 1;
  }
}
