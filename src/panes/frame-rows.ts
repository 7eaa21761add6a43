import type { IBufferCell, Terminal } from "@xterm/headless";
import { frameCursor, screenRowRuns } from "./frame-of.js";
import { CELL_WORDS, HAS_EXTENDED, IS_COMBINED, type RowCells, rowCells } from "./row-cells.js";
import type { FrameRun, FrameUpdate, PaneFrame } from "./screen-frame.js";

/** One screen row as last read: its cells (a copy), the cursor column it kept, its runs, and their version. */
interface CachedRow {
  /** The row's cell words, as bytes (compared with memcmp). */
  words: Buffer | undefined;
  /** Each combined cell's column and text; each extended cell's column and underline style. */
  combined: Array<[number, unknown]>;
  extended: Array<[number, unknown]>;
  length: number;
  keep: number;
  runs: FrameRun[];
  version: number;
}

/**
 * The visible screen of a terminal as frame rows, kept between frames (one per screen, shared by its
 * watchers). `refresh` reads a row again with frameOf's rules (screenRowRuns) only when its cells, or the
 * cursor column its blanks are kept to, changed since the last refresh; a row whose runs then differ gets a
 * new version. Comparing a row's cell words (memcmp) costs well under 1 µs; reading a 120-column row through
 * the public cell API ~8 µs.
 * When xterm keeps its cells elsewhere (rowCells undefined) every row is read each time: the same frames, slower.
 */
export class FrameRowCache {
  private rows: CachedRow[] = [];
  private nextVersion = 1;
  private stamp = -1;
  private readonly cell: IBufferCell;

  constructor(private readonly term: Terminal) {
    this.cell = term.buffer.active.getNullCell();
  }

  /**
   * Brings the rows up to date with the terminal. `stamp` (the screen's change count) skips the work when it
   * is the one of the last refresh: nothing was written or resized since.
   */
  refresh(stamp: number): void {
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    const term = this.term;
    const buffer = term.buffer.active;
    if (this.rows.length > term.rows) this.rows.length = term.rows;
    for (let row = 0; row < term.rows; row++) {
      const line = buffer.getLine(buffer.baseY + row);
      const keep = row === buffer.cursorY ? buffer.cursorX : 0;
      const cells = line ? rowCells(line) : undefined;
      const cached = this.rows[row];
      if (cached && cells && sameCells(cached, cells, keep)) continue;
      const runs = screenRowRuns(term, row, this.cell);
      const changed = !cached || !sameRuns(cached.runs, runs);
      this.rows[row] = {
        ...(cells ? snapshot(cells) : { words: undefined, combined: [], extended: [], length: -1 }),
        keep,
        runs: changed ? runs : (cached as CachedRow).runs,
        version: changed ? this.nextVersion++ : (cached as CachedRow).version,
      };
    }
  }

  /** Row `row`'s runs and version as of the last refresh. */
  row(row: number): { runs: FrameRun[]; version: number } {
    return this.rows[row] ?? { runs: [], version: 0 };
  }

  /** The terminal's size, cursor and flags now (as frameOf gives them). */
  shape(): Omit<PaneFrame, "lines"> {
    return { cols: this.term.cols, rows: this.term.rows, ...frameCursor(this.term) };
  }
}

/**
 * What one watcher (a person's view) was last sent of a screen, and the update that brings it to the screen as
 * it is now: the whole frame first, after a resize, or when the screen was replaced (another cache); after
 * that only the rows whose runs changed, with the cursor and flags.
 */
export class FrameWatcher {
  private sent:
    | { cache: FrameRowCache; cols: number; rows: number; versions: number[]; shape: string }
    | undefined;

  /** The next update from `cache` (refreshed to `stamp`); undefined when nothing this watcher shows changed. */
  next(cache: FrameRowCache, stamp: number): FrameUpdate | undefined {
    cache.refresh(stamp);
    const shape = cache.shape();
    const { cols, rows, cursor, cursorVisible, alternate } = shape;
    const shapeKey = `${cursor.row},${cursor.col},${cursorVisible},${alternate}`;
    const sent = this.sent;
    if (sent === undefined || sent.cache !== cache || sent.cols !== cols || sent.rows !== rows) {
      const lines: FrameRun[][] = [];
      const versions: number[] = [];
      for (let row = 0; row < rows; row++) {
        const { runs, version } = cache.row(row);
        lines.push(runs);
        versions.push(version);
      }
      this.sent = { cache, cols, rows, versions, shape: shapeKey };
      return { frame: { cols, rows, lines, cursor, cursorVisible, alternate } };
    }
    const changed: Array<[number, FrameRun[]]> = [];
    for (let row = 0; row < rows; row++) {
      const { runs, version } = cache.row(row);
      if (version !== sent.versions[row]) {
        changed.push([row, runs]);
        sent.versions[row] = version;
      }
    }
    if (changed.length === 0 && shapeKey === sent.shape) return undefined;
    sent.shape = shapeKey;
    return { rows: { cols, rows, changed, cursor, cursorVisible, alternate } };
  }

  /**
   * The update that says the screen is as last sent: no rows, the cursor and flags (`next` having just given none,
   * so nothing differs); the whole frame when nothing was sent yet.
   */
  unchanged(cache: FrameRowCache, stamp: number): FrameUpdate {
    const update = this.next(cache, stamp);
    if (update !== undefined) return update;
    return { rows: { ...cache.shape(), changed: [] } };
  }
}

/** The bytes of the row's cell words (a view, not a copy). */
function wordBytes(cells: RowCells): Buffer {
  return Buffer.from(cells.data.buffer, cells.data.byteOffset, cells.length * CELL_WORDS * 4);
}

function snapshot(cells: RowCells): Pick<CachedRow, "words" | "combined" | "extended" | "length"> {
  const { data, length } = cells;
  const combined: Array<[number, unknown]> = [];
  const extended: Array<[number, unknown]> = [];
  for (let col = 0, at = 0; col < length; col++, at += CELL_WORDS) {
    if ((data[at] as number) & IS_COMBINED) combined.push([col, cells.combined[col]]);
    if ((data[at + 2] as number) & HAS_EXTENDED) extended.push([col, cells.extended[col]?.underlineStyle]);
  }
  return { words: Buffer.from(wordBytes(cells)), combined, extended, length };
}

/** The row's cells are those cached: same words, same combined texts and underline styles, same kept column. */
function sameCells(cached: CachedRow, cells: RowCells, keep: number): boolean {
  const words = cached.words;
  if (words === undefined || cached.keep !== keep || cached.length !== cells.length) return false;
  if (!words.equals(wordBytes(cells))) return false;
  // Same words, so the same cells are combined or extended; but a combined cell's words do not say which
  // characters it holds, and extended attributes are kept aside: those are compared one by one.
  for (const [col, text] of cached.combined) if (cells.combined[col] !== text) return false;
  for (const [col, style] of cached.extended) if (cells.extended[col]?.underlineStyle !== style) return false;
  return true;
}

function sameRuns(a: FrameRun[], b: FrameRun[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as FrameRun;
    const y = b[i] as FrameRun;
    if (x[0] !== y[0] || x[1] !== y[1] || x[2] !== y[2] || x[3] !== y[3]) return false;
  }
  return true;
}
