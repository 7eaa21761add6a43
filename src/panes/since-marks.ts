import type { IBufferLine, Terminal } from "@xterm/headless";
import { lineAt } from "./buffer-rows.js";
import { hiddenCell, hiddenPlaceholder } from "./row-text.js";

// @xterm/headless 6 cell layout (src/common/buffer/Constants.ts): three uint32 per cell: content (code point,
// "is combined" flag, width), foreground, background.
const CELL_SIZE = 3;
const FG = 1;
const BG = 2;
const CODEPOINT_MASK = 0x1fffff;
const IS_COMBINED_MASK = 0x200000;
const WIDTH_SHIFT = 22;
/**
 * Bit 31 of a cell's background word, which xterm 6 leaves unused (BgFlags end at OVERLINE, bit 30): set on
 * every cell of the screen when a since-mark is taken. xterm writes a cell's whole background word from the
 * current attributes whenever it prints into the cell or erases it, so the bit survives exactly on cells
 * nothing was printed into since; cells that move (scrolling, insert/delete characters, reflow) keep it. No
 * reader of the emulator looks at it (colours are the low 26 bits and the mode bits, rowText's hiddenCell).
 */
const STALE = 0x80000000;
/** At most this many since-marks live per screen (wait_for's maxWaiters is per server); the oldest goes first. */
const MAX_LIVE = 64;

/** The fresh part of one row: runs of cells printed since the mark, each run one line. */
interface Piece {
  /** The runs, joined by "\n"; "" for a row printed anew that holds nothing. */
  text: string;
  /** Nothing on the row was printed since the mark: the row adds no line at all. */
  none: boolean;
  /** The first cell is fresh (a wrapped row continuing the previous one joins it). */
  head: boolean;
  /** The last cell is fresh (the next row, when it continues this one, joins it). */
  tail: boolean;
  /** Every cell of the row is fresh (its history text stands as it is). */
  all: boolean;
}

interface Tracker {
  /** Absolute row of the cursor when the mark was taken, its column, and that row's text left of it then. */
  startRow: number;
  startCol: number;
  /** Absolute row of the normal screen's bottom row when the mark was taken (the last row it tagged). */
  lastRow: number;
  startPrefix: string;
  /** The whole screen was erased since (ED 2, ED 0 from home, RIS): redraw rule off (see SinceMarks). */
  cleared: boolean;
  /**
   * Cells fresh for this mark that a later mark marked stale again, per row (absolute normal-buffer row, or
   * -1-y for alternate-buffer row y), one byte per column.
   */
  fresh: Map<number, Uint8Array>;
  /** Fresh parts of rows that held stale cells when they were moved into history, by absolute row. */
  recorded: Map<number, Piece & { joinsNext: boolean }>;
  /**
   * Rows of history before this were there when the mark was taken: old, unless recorded (a taller screen can
   * show them again, and a shorter one move them back: they are not printed anew).
   */
  historyEnd: number;
}

/** Where a screen keeps rows that left it (RowHistory's read side). */
export interface RowSource {
  readonly start: number;
  readonly end: number;
  text(row: number): string;
  joinsNext(row: number): boolean;
}

/**
 * Marks for wait_for `since: "now"`: which text was printed after a point in the pane's output.
 *
 * Why cells, not a position: after send_keys of `1+1` into python the cursor still sits on the old `>>> `
 * row, the echo lands on that row and a program may move anywhere (clear the screen and draw from the top,
 * redraw a status line above). A row (or row and column) position either matches the old prompt at once or
 * misses everything drawn above it. Instead every cell on the screen is tagged stale when the mark is taken
 * (see STALE); printing into a cell or erasing it drops the tag. Text since the mark is made of the untagged
 * cells only, each run of them a line of its own, so a match can never join old text to new. Rows moved into
 * history after the mark keep their fresh part (recorded as they leave the screen); rows that were history
 * before the mark are old.
 *
 * One exception, the redraw rule: a line editor redraws its line (readline's CR, prompt, text) when keys
 * arrive, printing the old prompt again unchanged. So on the row the cursor was on, cells left of the cursor's
 * column count only when that part of the row now reads differently than at the mark, or the whole screen was
 * cleared since (`clear`, Ctrl-L then draw the same prompt in the same place, and that one is new). A program
 * that reprints the very same text in the very same place left of where the cursor was is not seen as new.
 *
 * Several marks may live at once: each new mark first records, for the older ones, which cells were fresh
 * for them (`fresh`), then tags the whole screen again. Marks are released by id; at most MAX_LIVE live.
 */
export class SinceMarks {
  private readonly live = new Map<number, Tracker>();
  private nextId = 1;

  constructor(private readonly term: Terminal) {}

  get active(): boolean {
    return this.live.size > 0;
  }

  /**
   * Starts a mark at the current state; `topRow` is the absolute row of the normal screen's top, `historyEnd`
   * the first row not in history yet. Returns its id.
   */
  mark(topRow: number, historyEnd: number): number {
    const normal = this.term.buffer.normal;
    const cursorRow = topRow + normal.cursorY;
    for (const tracker of this.live.values()) this.keepFresh(tracker, topRow);
    for (const buffer of [normal, this.term.buffer.alternate]) {
      for (let y = buffer.baseY; y < buffer.baseY + this.term.rows; y++) tagStale(buffer.getLine(y));
    }
    const startCol = Math.min(normal.cursorX, this.term.cols);
    const cursorLine = normal.getLine(normal.baseY + normal.cursorY);
    const id = this.nextId++;
    this.live.set(id, {
      startRow: cursorRow,
      lastRow: topRow + this.term.rows - 1,
      startCol,
      startPrefix: cursorLine?.translateToString(false, 0, startCol) ?? "",
      cleared: false,
      fresh: new Map(),
      recorded: new Map(),
      historyEnd,
    });
    if (this.live.size > MAX_LIVE) this.live.delete(this.live.keys().next().value as number);
    return id;
  }

  /**
   * The last normal-buffer row (absolute) a live mark tagged stale: the screen's bottom row when it was taken,
   * or -1. Rows below it were printed after every mark, fresh whole for each: they need no record when they
   * move into history (see `recorded`), so they may go there as text alone (PaneScreen's bypass).
   */
  get lastTaggedRow(): number {
    let last = -1;
    for (const tracker of this.live.values()) last = Math.max(last, tracker.lastRow);
    return last;
  }

  release(id: number): void {
    this.live.delete(id);
  }

  /** Rows from absolute row `row` on left history again (RowHistory.dropLast): what was recorded of them goes. */
  forgetRecorded(row: number): void {
    for (const tracker of this.live.values()) {
      for (const key of tracker.recorded.keys()) if (key >= row) tracker.recorded.delete(key);
      tracker.historyEnd = Math.min(tracker.historyEnd, row);
    }
  }

  /** The whole screen was erased (ED 2, ED 0 from home, RIS): what is drawn from now on is new everywhere. */
  cleared(): void {
    for (const tracker of this.live.values()) tracker.cleared = true;
  }

  /** Called for each normal-buffer row as it moves into history (absolute number `row`), before it is gone. */
  recorded(row: number, line: IBufferLine | undefined, joinsNext: boolean): void {
    const cells = line && cellsOf(line);
    if (!line) return;
    for (const tracker of this.live.values()) {
      // A flood's rows are all fresh: a scan of the background words (no strings) tells them apart.
      if (cells && row !== tracker.startRow && !anyStale(cells, tracker.fresh.get(row))) continue;
      const piece = this.piece(tracker, row, line, row);
      if (!piece.all) tracker.recorded.set(row, { ...piece, joinsNext });
    }
  }

  /**
   * The text printed since mark `id`, from absolute row `from` on (the rows of `history` and then the screen):
   * runs of fresh cells, one line each, wrapped runs joined. An unknown id (released, or dropped past
   * MAX_LIVE) reads as a mark with nothing remembered: only cells untouched by every later mark are old.
   */
  render(id: number, from: number, history: RowSource, hotLine: number): string {
    const tracker = this.live.get(id) ?? blankTracker();
    const rows: (Piece & { joinsNext: boolean })[] = [];
    const normal = this.term.buffer.normal;
    for (let row = Math.max(from, history.start); row < history.end; row++) {
      const recorded = tracker.recorded.get(row);
      if (recorded === undefined && row < tracker.historyEnd) {
        // Security: history before the mark is old text, also when a taller screen showed it again when the
        // mark was taken (attack review: wait_for since "now" matched "line 3", printed before, after a resize).
        rows.push({
          text: "",
          none: true,
          head: false,
          tail: false,
          all: false,
          joinsNext: history.joinsNext(row),
        });
        continue;
      }
      const text = history.text(row);
      rows.push(
        recorded ?? {
          text,
          none: false,
          head: true,
          tail: true,
          all: true,
          joinsNext: history.joinsNext(row),
        },
      );
    }
    // Normal-buffer rows not yet in history (absolute row = history.end + (y - hotLine)).
    const first = Math.max(hotLine, hotLine + (from - history.end));
    for (let y = first; y < normal.length; y++) {
      const line = normal.getLine(y);
      if (!line) break;
      const row = history.end + (y - hotLine);
      rows.push({
        ...this.piece(tracker, row, line, row),
        joinsNext: lineAt(normal, y + 1)?.isWrapped === true,
      });
    }
    if (this.term.buffer.active.type === "alternate") {
      const alt = this.term.buffer.alternate;
      for (let y = 0; y < this.term.rows; y++) {
        const line = alt.getLine(alt.baseY + y);
        if (!line) break;
        rows.push({
          ...this.piece(tracker, -1 - y, line),
          joinsNext: lineAt(alt, alt.baseY + y + 1)?.isWrapped === true,
        });
      }
    }
    return joinPieces(rows);
  }

  /** The fresh part of `line`; `row` is its absolute number for the redraw rule (undefined off the normal buffer). */
  private piece(tracker: Tracker, key: number, line: IBufferLine, row?: number): Piece {
    const internal = cellsOf(line);
    if (!internal)
      return { text: line.translateToString(true), none: false, head: true, tail: true, all: true };
    const { data, length, combined } = internal;
    const kept = tracker.fresh.get(key);
    let redrawCols = 0;
    if (row === tracker.startRow && !tracker.cleared && tracker.startCol > 0) {
      if (line.translateToString(false, 0, tracker.startCol) === tracker.startPrefix)
        redrawCols = tracker.startCol;
    }
    const isFresh = (col: number): boolean =>
      col >= redrawCols && (((data[col * CELL_SIZE + BG] as number) & STALE) === 0 || kept?.[col] === 1);
    const runs: string[] = [];
    let run: string[] | undefined;
    let hidden = 0;
    let allFresh = true;
    let any = false;
    const endRun = (): void => {
      if (!run) return;
      if (hidden > 0) run.push(hiddenPlaceholder(hidden));
      hidden = 0;
      let text = run.join("");
      text = text.replace(/\0+$/u, "").replaceAll("\0", " ");
      runs.push(text);
      run = undefined;
    };
    for (let col = 0; col < length; ) {
      const content = data[col * CELL_SIZE] as number;
      const width = content >>> WIDTH_SHIFT || 1;
      if (!isFresh(col)) {
        // A blank cell inside fresh text is a gap in it, not old text: a TAB moves past cells it never writes
        // (an attack review read "col0\tvalue0" back as two lines).
        if (run && (content & CODEPOINT_MASK) === 0) {
          run.push("\0");
          col += width;
          continue;
        }
        allFresh = false;
        endRun();
        col += width;
        continue;
      }
      any = true;
      run ??= [];
      if (hiddenCell(data[col * CELL_SIZE + FG] as number, data[col * CELL_SIZE + BG] as number)) {
        const cp = content & CODEPOINT_MASK;
        if (cp !== 0 && cp !== 0x20) hidden += 1;
        else {
          if (hidden > 0) run.push(hiddenPlaceholder(hidden));
          hidden = 0;
          run.push(cp === 0 ? "\0" : " ");
        }
      } else {
        if (hidden > 0) run.push(hiddenPlaceholder(hidden));
        hidden = 0;
        run.push(cellText(content, combined[col]));
      }
      col += width;
    }
    endRun();
    if (!any) return { text: "", none: true, head: false, tail: false, all: false };
    const head = isFresh(0);
    const tail = isFresh(length - 1);
    if (allFresh) return { text: runs.join(""), none: false, head, tail, all: true };
    const shown = runs.filter((text) => text.trim() !== "");
    return { text: shown.join("\n"), none: shown.length === 0, head, tail, all: false };
  }

  /** Before the screen is tagged again for a newer mark: remembers which cells are fresh for `tracker`. */
  private keepFresh(tracker: Tracker, topRow: number): void {
    const normal = this.term.buffer.normal;
    const keep = (key: number, line: IBufferLine | undefined): void => {
      const internal = line && cellsOf(line);
      if (!internal) return;
      const kept = tracker.fresh.get(key);
      let mask: Uint8Array | undefined;
      for (let col = 0; col < internal.length; col++) {
        const fresh = ((internal.data[col * CELL_SIZE + BG] as number) & STALE) === 0 || kept?.[col] === 1;
        if (!fresh) continue;
        mask ??= new Uint8Array(internal.length);
        mask[col] = 1;
      }
      if (mask) tracker.fresh.set(key, mask);
      else tracker.fresh.delete(key);
    };
    for (let y = 0; y < this.term.rows; y++) {
      keep(topRow + y, normal.getLine(normal.baseY + y));
      keep(-1 - y, this.term.buffer.alternate.getLine(y));
    }
  }
}

function blankTracker(): Tracker {
  return {
    startRow: -1,
    startCol: 0,
    lastRow: -1,
    startPrefix: "",
    cleared: true,
    fresh: new Map(),
    recorded: new Map(),
    historyEnd: 0,
  };
}

interface Cells {
  data: Uint32Array;
  length: number;
  combined: Record<number, string>;
}

function cellsOf(line: IBufferLine): Cells | undefined {
  const internal = (
    line as unknown as {
      _line?: { _data?: Uint32Array; length?: number; _combined?: Record<number, string> };
    }
  )._line;
  const data = internal?._data;
  const length = internal?.length;
  if (!data || typeof length !== "number" || length * CELL_SIZE > data.length) return undefined;
  return { data, length, combined: internal?._combined ?? {} };
}

function anyStale(cells: Cells, kept: Uint8Array | undefined): boolean {
  for (let col = 0; col < cells.length; col++) {
    if (((cells.data[col * CELL_SIZE + BG] as number) & STALE) !== 0 && kept?.[col] !== 1) return true;
  }
  return false;
}

function tagStale(line: IBufferLine | undefined): void {
  const cells = line && cellsOf(line);
  if (!cells) return;
  for (let col = 0; col < cells.length; col++) {
    const at = col * CELL_SIZE + BG;
    cells.data[at] = ((cells.data[at] as number) | STALE) >>> 0;
  }
}

/** A cell's characters; "\0" for a cell nothing was printed into (blank, trimmed at the end of a run). */
function cellText(content: number, combined: string | undefined): string {
  if (content & IS_COMBINED_MASK) return combined ?? "";
  const cp = content & CODEPOINT_MASK;
  return cp === 0 ? "\0" : String.fromCodePoint(cp);
}

/** Rows' fresh parts as lines: a row that continues the previous one joins it when both touch the seam. */
function joinPieces(rows: readonly (Piece & { joinsNext: boolean })[]): string {
  const lines: string[] = [];
  let current: string | undefined;
  let joinNext = false;
  for (const piece of rows) {
    if (piece.none) {
      if (current !== undefined) lines.push(current);
      current = undefined;
      joinNext = false;
      continue;
    }
    if (current !== undefined && joinNext && piece.head) current += piece.text;
    else {
      if (current !== undefined) lines.push(current);
      current = piece.text;
    }
    joinNext = piece.tail && piece.joinsNext;
  }
  if (current !== undefined) lines.push(current);
  return lines.join("\n");
}
