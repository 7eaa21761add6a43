import type { HistoryMark, RenderedFrom } from "../pane-screen.js";

const FIRST_ROW: HistoryMark = { row: 0 };

/** What a `new` read renders: the lines from a mark, with the text from the cursor's line on when asked. */
export type RenderFrom = (
  mark: HistoryMark,
  overlapRows?: number,
  withCursorTail?: boolean,
) => Promise<RenderedFrom>;

/** One reader's place in a pane's lines (a daemon session's: see Pane.newText). */
interface ReaderPlace {
  /** It has read the pane with `new` (its place is `mark`, or the first line when that is undefined). */
  hasRead: boolean;
  /** Where its next `new` read starts: the line the cursor was on at its last read. */
  mark: HistoryMark | undefined;
  /** The text from `mark` on as its last read returned it (RenderedFrom.cursorTail), when it did. */
  tail: string | undefined;
  /** Its read in progress, which the next one waits for. */
  reading: Promise<unknown> | undefined;
  /** For a pane restored from its journal: how many of its lines the reader had not read, until it reads them. */
  restoredUnread: number | undefined;
}

/**
 * The places of a pane's `new` readers, and their reads: each returns the lines printed since the reader's last
 * read (see Pane.newText for the shape), one read at a time per reader.
 */
export class NewReads {
  private readonly places = new Map<string, ReaderPlace>();

  constructor(private readonly render: RenderFrom) {}

  /** A restored pane's readers: how many of its lines each had not read (from the journal). */
  restore(unread: Record<string, number>): void {
    for (const [reader, lines] of Object.entries(unread)) this.placeOf(reader).restoredUnread = lines;
  }

  /** The lines since `reader`'s last read; waits for a read of the same reader in progress first. */
  read(reader: string): Promise<{ text: string; lost: boolean }> {
    const place = this.placeOf(reader);
    // One at a time per reader: two reads at once both started at the same place, and returned the same lines
    // (a review sent two at once: 271 of 300 lines came twice).
    const previous = place.reading ?? Promise.resolve();
    const read = previous.then(
      () => this.readFrom(place),
      () => this.readFrom(place),
    );
    place.reading = read;
    const forget = (): void => {
      if (place.reading === read) place.reading = undefined;
    };
    read.then(forget, forget);
    return read;
  }

  /** For the journal: by reader, how many lines from its place on it has not read. */
  async unreadCounts(): Promise<Record<string, number>> {
    const unread: Record<string, number> = {};
    for (const [reader, place] of this.places) {
      if (place.restoredUnread !== undefined) unread[reader] = place.restoredUnread;
      else if (place.hasRead)
        unread[reader] = (await this.render(place.mark ?? FIRST_ROW)).text.split("\n").length;
    }
    return unread;
  }

  clear(): void {
    this.places.clear();
  }

  private placeOf(reader: string): ReaderPlace {
    let place = this.places.get(reader);
    if (place === undefined) {
      place = {
        hasRead: false,
        mark: undefined,
        tail: undefined,
        reading: undefined,
        restoredUnread: undefined,
      };
      this.places.set(reader, place);
    }
    return place;
  }

  private async readFrom(place: ReaderPlace): Promise<{ text: string; lost: boolean }> {
    place.hasRead = true;
    const unread = place.restoredUnread;
    if (unread !== undefined) {
      // A restored pane: the reader's place was saved as the lines it had not read.
      place.restoredUnread = undefined;
      const read = await this.render(FIRST_ROW);
      place.mark = read.cursor;
      place.tail = undefined;
      const lines = read.text.split("\n");
      return { text: lines.slice(Math.max(0, lines.length - unread)).join("\n"), lost: false };
    }
    const mark = place.mark ?? FIRST_ROW;
    // The next start is taken in the same screen call as the text, so nothing printed in between is skipped.
    const read = await this.render(mark, 0, true);
    const seen = place.tail;
    place.mark = read.cursor ?? mark;
    // Seen only when this read returned it: a cursor moved up above the last read's start returns its lines
    // once more, as they now read (a line rewritten there reaches the reader).
    const tail = read.cursor === undefined ? undefined : read.cursorTail;
    place.tail =
      tail !== undefined && (read.text === tail || read.text.endsWith(`\n${tail}`)) ? tail : undefined;
    return { text: unseenLines(read.text, seen), lost: read.lost };
  }
}

/**
 * `text` (lines from a reader's mark, the line its cursor was on) less its first lines where they read as the
 * lines `seen` there at its last read: a cursor left above printed lines (a progress block, a TUI) returned them
 * on every `new` read, unchanged (attack review). From the first line that changed on, everything comes again.
 * Only a common start is left out: a later line equal to one seen may be new (the next prompt of a shell).
 */
function unseenLines(text: string, seen: string | undefined): string {
  if (seen === undefined || seen === "") return text;
  if (text === seen) return "";
  const lines = text.split("\n");
  const before = seen.split("\n");
  let same = 0;
  while (same < lines.length && same < before.length && lines[same] === before[same]) same += 1;
  return lines.slice(same).join("\n");
}
