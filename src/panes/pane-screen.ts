import type { IBuffer, IDisposable, IMarker, Terminal as TerminalType } from "@xterm/headless";
import xtermHeadless from "@xterm/headless";
import { capCombiningMarks, registerEmulatorGuards } from "./emulator-guards.js";
import { collapseIdempotentRuns } from "./idempotent-runs.js";
import { RowHistory } from "./row-history.js";
import { rowText } from "./row-text.js";
import type { ScreenSnapshot, ScreenState } from "./screen-port.js";
import { splitByScrollBudget } from "./scroll-budget.js";
import { SinceMarks } from "./since-marks.js";
import { excerptOfMatch, type Locate, searchWindows } from "./text-query.js";

const { Terminal } = xtermHeadless;

/** The terminal type the emulator implements; children get it as TERM. */
export const EMULATED_TERM = "xterm-256color";

/**
 * Rows the emulator itself keeps above the screen. Rows that scroll off are moved into a RowHistory (strings)
 * after every write; the emulator only has to hold what one write can scroll.
 */
const EMULATOR_SCROLLBACK = 256;
/** Each write to the emulator may scroll at most this many rows (see splitByScrollBudget). */
const ROWS_PER_WRITE = 100;

const LOST_ROWS_NOTE = "[… some rows were lost: output scrolled faster than ccmux could record it …]";

/** A position in the pane's output: an absolute row number (rows count up forever; old ones are dropped). */
export interface HistoryMark {
  readonly row: number;
  /** The screen the mark was taken on; a mark from a screen that was since replaced (lost) reads from the start. */
  readonly screen?: number;
  /** A since-mark (PaneScreen.markSince): reads from it return only text printed after it was taken. */
  readonly since?: number;
}

/** The outcome of one search from a mark (see PaneScreen.search). */
export interface SearchResult {
  matched: boolean;
  /** With a locator: the match and the lines around it (matchExcerpt), sanitized. */
  excerpt?: string;
  lost: boolean;
  nextTop: HistoryMark | undefined;
}

/** Text from a mark, with the marks for the next read taken at the same moment (see PaneScreen.renderFrom). */
export interface RenderedFrom {
  text: string;
  lost: boolean;
  nextTop: HistoryMark | undefined;
  cursor: HistoryMark | undefined;
}

/**
 * The rendered state of one pane: an @xterm/headless terminal fed with the pane's raw output, plus the rows
 * that scrolled off its screen kept compactly as text. Reads return plain text (unsanitized: the caller
 * sanitizes); writes are asynchronous and acknowledged by callback.
 */
export class PaneScreen {
  private readonly term: TerminalType;
  private readonly history: RowHistory;
  private readonly disposables: IDisposable[] = [];
  private readonly writeSync: ((data: Uint8Array) => void) | undefined;
  /** First normal-buffer row not yet moved into history (it moves with the buffer as the emulator trims). */
  private hot: IMarker | undefined;
  /** Tells this screen's marks from those of a screen it replaced (random: replacements may run on a new thread). */
  private readonly identity = Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
  /** Set by RIS before xterm replaces both buffers; the hot marker then moves to the new normal buffer. */
  private resetting = false;
  /** Which cells were printed since each live since-mark (wait_for `since: "now"`). */
  private readonly since: SinceMarks;

  constructor(options: { cols: number; rows: number; scrollback: number }) {
    this.term = new Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: EMULATOR_SCROLLBACK,
      allowProposedApi: true,
      logLevel: "off",
    });
    this.history = new RowHistory(options.scrollback);
    // Why: term.write queues and starts parsing on a setTimeout, which left the thread idle 40% of the time
    // while a pane streamed output (a 1 ms timer per refill of the queue). Parsing synchronously as the bytes
    // arrive needs no queue at all; the pty is simply not read while we parse. We register no async parser
    // handlers, the case in which xterm calls writeSync unreliable.
    const core = (this.term as unknown as { _core?: { writeSync?: (data: Uint8Array) => void } })._core;
    this.writeSync = typeof core?.writeSync === "function" ? (data) => core.writeSync?.(data) : undefined;
    this.hot = this.term.registerMarker(0);
    this.since = new SinceMarks(this.term);
    // A clear of the whole screen (ED 2; ED 0 from the home position) makes all that is drawn after it new.
    this.disposables.push(
      this.term.parser.registerCsiHandler({ final: "J" }, (params) => {
        const mode = params[0] ?? 0;
        const home = this.term.buffer.active.cursorX === 0 && this.term.buffer.active.cursorY === 0;
        if (this.since.active && (mode === 2 || (mode === 0 && home))) this.since.cleared();
        return false;
      }),
    );
    // Security: clipboard writes (OSC 52) are swallowed here so no future emulator change can surface them.
    this.disposables.push(this.term.parser.registerOscHandler(52, () => true));
    capCombiningMarks(this.term);
    // Security: RIS (ESC c) replaces both of xterm's buffers, leaving the hot marker on the discarded one: its
    // stale line made every later mark and read skip the new screen, so wait_for never saw output again
    // (issue 9: a 2 MB line, then ESC c). The rows not yet in history are recorded first (ESC handlers
    // registered later run before xterm's own; false passes the sequence on), and the marker then restarts.
    this.disposables.push(
      this.term.parser.registerEscHandler({ final: "c" }, () => {
        this.recordBeforeReset();
        this.since.cleared();
        return false;
      }),
      this.term.buffer.onBufferChange(() => this.restartAfterReset()),
    );
    this.disposables.push(...registerEmulatorGuards(this.term));
  }

  /** Replies the emulator generates (device reports); the caller decides which may reach the pty. */
  onReply(listener: (data: string) => void): void {
    this.disposables.push(this.term.onData(listener));
  }

  /** Parses `chunk`; `done` runs once all of it is on the screen or in history. */
  write(chunk: Uint8Array, done: () => void): void {
    const pieces = splitByScrollBudget(collapseIdempotentRuns(chunk), this.term.cols, ROWS_PER_WRITE);
    const writeSync = this.writeSync;
    if (writeSync) {
      for (const piece of pieces) {
        writeSync(piece);
        this.harvest();
      }
      done();
      return;
    }
    let left = pieces.length;
    for (const piece of pieces) {
      this.term.write(piece, () => {
        this.harvest();
        left -= 1;
        if (left === 0) done();
      });
    }
  }

  get cols(): number {
    return this.term.cols;
  }

  get rows(): number {
    return this.term.rows;
  }

  get applicationCursor(): boolean {
    return this.term.modes.applicationCursorKeysMode;
  }

  get isAlternateScreen(): boolean {
    return this.term.buffer.active.type === "alternate";
  }

  /** Cursor position on the visible screen, 0-based. */
  get cursor(): { row: number; col: number } {
    const buffer = this.term.buffer.active;
    return { row: buffer.cursorY, col: buffer.cursorX };
  }

  /** The cursor and the cursor-key mode, without rendering anything (what typing needs). */
  state(): ScreenState {
    return { cursor: this.cursor, applicationCursor: this.applicationCursor };
  }

  /** The visible screen with the cursor and the cursor-key mode, read at one moment. */
  snapshot(): ScreenSnapshot {
    return { text: this.renderScreen(), cursor: this.cursor, applicationCursor: this.applicationCursor };
  }

  /** The visible screen, one row per line, trailing blank rows dropped. */
  renderScreen(): string {
    const buffer = this.term.buffer.active;
    return dropTrailingBlank(joinRows(buffer, buffer.baseY, buffer.baseY + this.term.rows, false));
  }

  /** History and screen as logical lines (wrapped rows joined); the last `lines` of them when given. */
  renderScrollback(lines?: number): string {
    const { text } = this.renderFrom({ row: this.history.start });
    if (lines === undefined) return text;
    const all = text.split("\n");
    return all.slice(Math.max(0, all.length - lines)).join("\n");
  }

  /** Marks the cursor's current row (offset rows up or down) so later reads can start there. */
  mark(offset = 0): HistoryMark | undefined {
    if (this.isAlternateScreen) return undefined;
    const buffer = this.term.buffer.normal;
    return { row: this.absoluteRow(buffer.baseY + buffer.cursorY) + offset, screen: this.identity };
  }

  /** Marks the top row of the visible screen (everything above it is history that will not change), or rows above it. */
  markScreenTop(overlapRows = 0): HistoryMark | undefined {
    if (this.isAlternateScreen) return undefined;
    return {
      row: Math.max(this.history.start, this.absoluteRow(this.term.buffer.normal.baseY) - overlapRows),
      screen: this.identity,
    };
  }

  /**
   * A mark for text printed from now on (wait_for `since: "now"`): reads from it (renderFrom, search) return
   * only what is printed after this call, and the marks for the next read keep that meaning. Release it with
   * releaseSince when the wait ends. See SinceMarks for what counts as printed.
   */
  markSince(): HistoryMark {
    const top = this.absoluteRow(this.term.buffer.normal.baseY);
    return { row: top, screen: this.identity, since: this.since.mark(top) };
  }

  /** Ends a since-mark (reads from it then treat only cells untouched by every later mark as old). */
  releaseSince(id: number): void {
    this.since.release(id);
  }

  /**
   * Logical lines from a mark to the end, and, read at the same moment, where the next read should start:
   * `nextTop` is the screen's top row (`overlapRows` above it), `cursor` the cursor's row. `lost` is true when
   * rows after the mark were dropped from history (more output than the scrollback holds arrived since), in
   * which case everything still held is returned.
   */
  renderFrom(mark: HistoryMark | undefined, overlapRows = 0): RenderedFrom {
    const nextTop = this.markScreenTop(overlapRows);
    const cursor = this.mark();
    if (mark?.since !== undefined && mark.screen === this.identity)
      return this.renderSince(mark, overlapRows);
    if (mark === undefined || this.isAlternateScreen) {
      return { text: this.renderScreen(), lost: false, nextTop, cursor };
    }
    // A mark from a screen this one replaced (see screen-thread.ts): everything held is new to its reader.
    const foreign = mark.screen !== undefined && mark.screen !== this.identity;
    const lost = foreign || mark.row < this.history.start;
    const from = foreign ? this.history.start : Math.max(mark.row, this.history.start);
    const out: string[] = [];
    let current = "";
    for (let row = from; row < this.history.end; row++) {
      current += this.history.text(row);
      if (!this.history.joinsNext(row)) {
        out.push(current);
        current = "";
      }
    }
    const buffer = this.term.buffer.normal;
    const hotLine = this.hotLine();
    const tail = joinRows(buffer, hotLine + Math.max(0, from - this.history.end), buffer.length, true);
    const text = out.length > 0 ? `${out.join("\n")}\n${current}${tail}` : `${current}${tail}`;
    return { text: dropTrailingBlank(text), lost, nextTop, cursor };
  }

  /** renderFrom for a since-mark: fresh text only; the next marks are since-marks of the same id. */
  private renderSince(mark: HistoryMark, overlapRows: number): RenderedFrom {
    const top = this.absoluteRow(this.term.buffer.normal.baseY);
    const next = (row: number): HistoryMark => ({ row, screen: this.identity, since: mark.since });
    const text = this.since.render(mark.since as number, mark.row, this.history, this.hotLine());
    return {
      // Trailing blank lines go; trailing spaces a program printed stay (a prompt `>>> ` is matched as printed).
      text: text.replace(/(\n[ \t\0]*)+$/u, "").replace(/^[ \t\0\n]*$/u, ""),
      lost: mark.row < this.history.start,
      nextTop: next(Math.max(this.history.start, top - overlapRows, mark.row)),
      cursor: next(top + this.term.buffer.normal.cursorY),
    };
  }

  /**
   * Searches the text from a mark for `matches` where the text is (no copy of it leaves this thread), and
   * returns where the next search should start, taken at the same moment.
   */
  search(
    mark: HistoryMark | undefined,
    overlapRows: number,
    matches: (text: string) => boolean,
    locate?: Locate,
  ): SearchResult {
    const read = this.renderFrom(mark, overlapRows);
    const matched = searchWindows(read.text, matches);
    const excerpt = matched && locate ? excerptOfMatch(read.text, locate) : undefined;
    return { matched, ...(excerpt === undefined ? {} : { excerpt }), lost: read.lost, nextTop: read.nextTop };
  }

  dispose(): void {
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.hot?.dispose();
    this.term.dispose();
  }

  /** Absolute row number of normal-buffer row `y` (y at or below the hot marker). */
  private absoluteRow(y: number): number {
    return this.history.end + (y - this.hotLine());
  }

  private hotLine(): number {
    const hot = this.hot;
    return hot === undefined || hot.isDisposed || hot.line < 0 ? 0 : hot.line;
  }

  /**
   * Moves every row of the normal buffer not yet in history into it, up to its last non-blank row: a reset
   * is about to discard them (xterm's reset also drops its own scrollback; ccmux's history keeps what was shown).
   */
  private recordBeforeReset(): void {
    this.harvest();
    const buffer = this.term.buffer.normal;
    const from = this.hotLine();
    let last = buffer.length - 1;
    while (last >= from && (buffer.getLine(last)?.translateToString(true) ?? "") === "") last--;
    let line = buffer.getLine(from);
    for (let y = from; y <= last && line; y++) {
      const next = buffer.getLine(y + 1);
      const joins = y < last && next?.isWrapped === true;
      if (this.since.active) this.since.recorded(this.history.end, line, joins);
      this.history.push(rowText(line, !joins), joins);
      line = next;
    }
    this.resetting = true;
  }

  /** After a reset the normal buffer is new and empty: history continues at its first row. */
  private restartAfterReset(): void {
    if (!this.resetting) return;
    this.resetting = false;
    this.hot?.dispose();
    // Runs inside xterm's reset, when the new normal buffer is active and its cursor at the top.
    this.hot = this.term.registerMarker(0);
  }

  /** Moves the rows that scrolled off the normal screen since the last call into history. */
  private harvest(): void {
    if (this.isAlternateScreen) return; // the normal buffer does not scroll meanwhile
    const buffer = this.term.buffer.normal;
    const hot = this.hot;
    // Rows trimmed before we got to them (one write scrolled more than the emulator holds): say so, visibly.
    if (hot?.isDisposed) this.history.push(LOST_ROWS_NOTE, false);
    const from = this.hotLine();
    if (from >= buffer.baseY) return;
    let line = buffer.getLine(from);
    for (let y = from; y < buffer.baseY && line; y++) {
      const next = buffer.getLine(y + 1);
      const joins = next?.isWrapped === true;
      if (this.since.active) this.since.recorded(this.history.end, line, joins);
      this.history.push(rowText(line, !joins), joins);
      line = next;
    }
    hot?.dispose();
    this.hot = this.term.registerMarker(-buffer.cursorY);
  }
}

/** Rows [start, end) of a buffer as text: one line per row, or wrapped rows joined into logical lines. */
function joinRows(buffer: IBuffer, start: number, end: number, joinWrapped: boolean): string {
  const out: string[] = [];
  let current = "";
  let line = buffer.getLine(Math.max(0, start));
  for (let y = Math.max(0, start); y < end && line; y++) {
    const next = buffer.getLine(y + 1);
    const continues = joinWrapped && next?.isWrapped === true;
    current += rowText(line, !continues);
    if (!continues) {
      out.push(current);
      current = "";
    }
    line = next;
  }
  if (current !== "") out.push(current);
  return out.join("\n");
}

function dropTrailingBlank(text: string): string {
  return text.replace(/\s+$/u, "");
}
