import type { IBuffer, IDisposable, IMarker, Terminal as TerminalType } from "@xterm/headless";
import xtermHeadless from "@xterm/headless";
import { lineAt } from "./buffer-rows.js";
import {
  type CursorKind,
  type CursorPosition,
  cursorOffset,
  cursorRowOf,
  lineStart,
  parkCursorOnLastText,
  placeCursorInLine,
  placeNormalCursor,
  textBelowCursor,
} from "./cursor-reflow.js";
import { showCursorOnReset } from "./cursor-visibility.js";
import { capCombiningMarks, registerEmulatorGuards } from "./emulator-guards.js";
import type { EchoState } from "./frame-echo.js";
import { echoPen, frameOf } from "./frame-of.js";
import { FrameRowCache, type FrameWatcher } from "./frame-rows.js";
import { collapseIdempotentRuns } from "./idempotent-runs.js";
import { nextPlainRun, PendingLines, plainTextEnd } from "./plain-lines.js";
import { fixReflowCombinedCells } from "./reflow-combined-fix.js";
import { ReflowPlaces, ReflowSurvey } from "./reflow-places.js";
import { RowHistory } from "./row-history.js";
import { rowText } from "./row-text.js";
import type { FrameUpdate, PaneFrame } from "./screen-frame.js";
import type { ScreenSnapshot, ScreenState } from "./screen-port.js";
import { splitByScrollBudget } from "./scroll-budget.js";
import { SinceMarks } from "./since-marks.js";
import { excerptOfMatch, type Locate, searchWindows } from "./text-query.js";
import { useProgramWidths } from "./unicode-widths.js";
import { recordedRowText, wrappedRowText } from "./wrapped-row.js";
import {
  type BufferInternals,
  bufferInternals,
  cutAlternateRows,
  plainLinesScroll,
} from "./xterm-internals.js";

const { Terminal } = xtermHeadless;

/**
 * Rows the emulator itself keeps above the screen. Rows that scroll off are moved into a RowHistory (strings)
 * after every write; the emulator only has to hold what one write can scroll.
 */
const EMULATOR_SCROLLBACK = 256;
/** Each write to the emulator may scroll at most this many rows (see splitByScrollBudget). */
const ROWS_PER_WRITE = 100;
/**
 * Plain lines are held back from the emulator until they fill this many rows more than it must see (the
 * screen and its own scrollback), then the oldest go to history as text in one batch.
 */
const BYPASS_BATCH_ROWS = 1024;
/** A run of plain lines shorter than this, amid other output, is left to the emulator (see nextPlainRun). */
const MIN_PLAIN_RUN_LINES = 8;

const LOST_ROWS_NOTE = "[… some rows were lost: output scrolled faster than ccmux could record it …]";

/** A position in the pane's output: an absolute row number (rows count up forever; old ones are dropped). */
export interface HistoryMark {
  readonly row: number;
  /** The screen the mark was taken on; a mark from a screen that was since replaced (lost) reads from the start. */
  readonly screen?: number;
  /**
   * How many screen clears (ED 2) the screen had seen when the mark was taken. A clear pushes the screen's
   * lines into history and starts a fresh screen below them; a mark into the old screen's blank rows then
   * reads from the fresh screen's first row (see PaneScreen.clamp).
   */
  readonly clears?: number;
  /** A since-mark (PaneScreen.markSince): reads from it return only text printed after it was taken. */
  readonly since?: number;
  /**
   * How many resizes the screen had seen when the mark was taken: a resize re-wraps the rows not yet in
   * history, and the mark's row is translated to where its text went (see PaneScreen.clamp).
   */
  readonly resizes?: number;
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
  /**
   * Asked for (renderFrom's `withCursorTail`): the text from `cursor` on, as a read from it would return it now;
   * undefined when `cursor` is.
   */
  cursorTail?: string;
}

/**
 * The rendered state of one pane: an @xterm/headless terminal fed with the pane's raw output, plus the rows
 * that scrolled off its screen kept compactly as text. Reads return plain text (unsanitized: the caller
 * sanitizes); writes are asynchronous and acknowledged by callback.
 *
 * The lines a pane printed (what `new` reads return once each, in order; issue 10): every row of the normal
 * screen has a place in the pane's output, numbered from the first row ever, and keeps it as it scrolls up
 * into history. A read returns the rows from a place to the last non-blank row, each as it reads at that
 * moment; the next `new` read starts at the row the cursor was on. So:
 * - a line above the cursor is finished and is returned once; the cursor's line, and any rows below it, may
 *   still change (a prompt being typed at, a progress bar redrawn with CR) and are returned again, as they
 *   then stand, by the next read. Joining the reads, each read's rows from the cursor's line down replaced
 *   by the next read's, gives every line once, in order.
 * - rows the program rewrites above the cursor's line after they were read (it moved the cursor up: a
 *   multi-line progress display) are not returned again: the place was read.
 * - a screen clear (ED 2: `clear`, Ctrl-L, test watchers; also ED 0 from the top-left corner) does not erase
 *   lines: the screen's lines up to its last non-blank row move into history (as in PuTTY and VTE), and the
 *   cleared screen starts at the next place. ED 3 (erase scrollback) leaves ccmux's history as it is. RIS
 *   records the screen into history first.
 * - a line that scrolls out of a scroll region (DECSTBM) moves into history, also when the region does not
 *   start at the top row (xterm would drop it): rows above such a region (a status line) get the next places.
 * - the alternate screen (vim, less, top) is a picture, not lines printed: it never enters history; while it
 *   is shown, reads show it as it stands.
 * - lines the program erases itself (EL, DL, SU, ED 0/1 elsewhere, a reverse index scrolling the bottom
 *   row off) were not lines printed unless a read saw them first.
 *
 * Plain text bypasses the emulator (issue 16): most of a flood is lines of printable ASCII that scroll off
 * before anyone reads them, and rendering them cell by cell only to read the cells back as text was half of
 * the screen thread's time. While the screen is in plain state (plainLinesScroll), such lines are held back
 * (PendingLines); once they fill more rows than the emulator can show or keep (its screen and scrollback),
 * the oldest go straight to history as the rows they would have filled, and the rows they would have scrolled
 * off the screen go there first. Everything held is given to the emulator before anything reads the screen or
 * changes it otherwise (`settle`), and those last rows are enough to leave its buffer exactly as if it had
 * parsed every byte; history gets the same rows in the same order. Any other byte (an escape sequence, a
 * lone CR, a tab, UTF-8) goes to the emulator as before.
 */
export class PaneScreen {
  private readonly term: TerminalType;
  private readonly history: RowHistory;
  private readonly disposables: IDisposable[] = [];
  private readonly writeSync: ((data: Uint8Array) => void) | undefined;
  /**
   * The last normal-buffer row already moved into history (it moves with the buffer as the emulator trims);
   * the row after it is the first not yet moved (the "hot" row). Undefined: none is left in the buffer, row 0
   * is hot. It sits above the screen, where no erase reaches: a marker on a screen row is disposed when the
   * row is erased (xterm's clearMarkers), which made every ED 2 look like lost rows (issue 10).
   */
  private moved: IMarker | undefined;
  /** Tells this screen's marks from those of a screen it replaced (random: replacements may run on a new thread). */
  private readonly identity = Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
  /** Set by RIS before xterm replaces both buffers; history then continues at the new normal buffer's first row. */
  private resetting = false;
  /** Screen clears seen (ED 2); marks record it (HistoryMark.clears). */
  private clears = 0;
  /** The first place of the screen each of the last MAX_CLEARS clears started, the clear numbered `clearBase` first. */
  private clearStarts: number[] = [];
  private clearBase = 0;
  /** Resizes seen; the place translations of the last MAX_REFLOWS of them, the one numbered `reflowBase` first. */
  private resizes = 0;
  private reflows: ReflowPlaces[] = [];
  private reflowBase = 0;
  /** Which cells were printed since each live since-mark (wait_for `since: "now"`). */
  private readonly since: SinceMarks;
  /** Writes and resizes so far: a frame watcher's rows need reading again only when it moved. */
  private changes = 0;
  /** Since-marks taken and released, and compactions: with `changes`, what a read depends on (ReadMemo). */
  private marksChanged = 0;
  /**
   * The last screen text rendered and the last result of each recent search, by the state they were read in.
   *
   * Security: reading a screen costs by what its cells hold, up to 32 code units each: a 400×200 screen of
   * `a` + 31 zero-width spaces renders 2.56 M units in 45–100 ms and searches in 100 ms, on the thread every
   * pane's reads share. A pane that printed it once and slept made every poll of a wait_for, and every read,
   * pay that again (attack review: another pane's reads waited 0.3–2.5 s). A screen that did not change is
   * now read once.
   */
  private rendered: { state: number; text: string } | undefined;
  private readonly searches = new Map<(text: string) => boolean, { key: string; result: SearchResult }>();
  /**
   * The last row in history is the moved marker's row and the row after it is still in the buffer: whether it
   * joins that row is read again until that row leaves the screen (see refreshLastMoved).
   */
  private lastMovedOpen = false;
  /**
   * History's last row holds the moved row's line as printed, not as the row now reads: a resize re-wrapped
   * or cut the line after it went to history (see anchorMovedForReflow). Only its join is read again.
   */
  private movedTextFixed = false;
  /** The emulator's scrollback was raised for a reflow and goes back to EMULATOR_SCROLLBACK at the next harvest. */
  private scrollbackRaised = false;
  /** The emulator's scrollback was dropped (see compact). */
  private compacted = false;
  /** Writes parsed so far (see `writes`). */
  private writeCount = 0;
  /** The screen's rows as frame runs, for frame watchers (made on the first watch). */
  private frameRows: FrameRowCache | undefined;
  private readonly internals: BufferInternals | undefined;
  /** The emulator's internals whether or not plain rows bypass it: what echoState reads. */
  private readonly echoInternals: BufferInternals | undefined;
  /** Bytes parsed so far (EchoState.through). */
  private parsedBytes = 0;
  /** Plain text not yet given to the emulator (see the class comment). */
  private readonly pending = new PendingLines();
  /** Where plainTextEnd found line ends in the chunk being written (reused: one array per screen). */
  private readonly feeds: number[] = [];
  /** Rows of the screen went to history ahead of the emulator, which still shows them until `settle`. */
  private bypassing = false;
  private bypassed = 0;

  /**
   * `plainBypass: false` parses every byte on the emulator: the reference the bypass is tested against (see
   * the class comment), and a way to rule it out when a screen looks wrong.
   */
  constructor(options: { cols: number; rows: number; scrollback: number; plainBypass?: boolean }) {
    this.term = new Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: EMULATOR_SCROLLBACK,
      allowProposedApi: true,
      logLevel: "off",
      // The cursor's line is re-wrapped on resize too, as tmux does (see resize).
      reflowCursorLine: true,
    });
    this.history = new RowHistory(options.scrollback);
    // Why: term.write queues and starts parsing on a setTimeout, which left the thread idle 40% of the time
    // while a pane streamed output (a 1 ms timer per refill of the queue). Parsing synchronously as the bytes
    // arrive needs no queue at all; the pty is simply not read while we parse. We register no async parser
    // handlers, the case in which xterm calls writeSync unreliable.
    const core = (this.term as unknown as { _core?: { writeSync?: (data: Uint8Array) => void } })._core;
    this.writeSync = typeof core?.writeSync === "function" ? (data) => core.writeSync?.(data) : undefined;
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
    // Security: so are hyperlinks (OSC 8). xterm registers every link a pane opens, with a marker on its row, and
    // keeps it while the row stays: a pane opening links with new targets on one row grew the screen thread by
    // 100 MB/s until it died of out-of-memory, and every pane's screen was lost with it (attack review). No link
    // target reaches the agent or a person; the linked text prints as plain text.
    this.disposables.push(this.term.parser.registerOscHandler(8, () => true));
    capCombiningMarks(this.term);
    fixReflowCombinedCells(this.term);
    useProgramWidths(this.term);
    // Security: RIS (ESC c) replaces both of xterm's buffers, leaving the hot marker on the discarded one: its
    // stale line made every later mark and read skip the new screen, so wait_for never saw output again
    // (issue 9: a 2 MB line, then ESC c). The rows not yet in history are recorded first (ESC handlers
    // registered later run before xterm's own; false passes the sequence on), and the marker then restarts.
    this.disposables.push(
      this.term.parser.registerEscHandler({ final: "c" }, () => {
        this.recordBeforeReset();
        this.since.cleared();
        showCursorOnReset(this.term);
        return false;
      }),
      this.term.buffer.onBufferChange(() => this.restartAfterReset()),
    );
    this.disposables.push(...registerEmulatorGuards(this.term));
    const internals = bufferInternals(this.term);
    this.internals = options.plainBypass === false ? undefined : internals;
    this.echoInternals = internals;
    if (internals) {
      // Registered last, so it runs first: xterm's own ED handler then only erases a blank screen.
      this.disposables.push(
        this.term.parser.registerCsiHandler({ final: "J" }, (params) => {
          this.beforeEraseInDisplay(internals, params);
          return false;
        }),
      );
      this.keepRegionScrolls(internals);
      this.disposables.push(
        // Rows that scrolled off the normal screen go to history before the alternate screen is shown
        // (DECSET 47, 1047, 1049): left in the emulator until it ends, how many history kept depended on
        // where the pty had cut the output.
        this.term.parser.registerCsiHandler({ prefix: "?", final: "h" }, (params) => {
          if (params.some((param) => param === 47 || param === 1047 || param === 1049)) this.harvest();
          return false;
        }),
      );
    } else {
      // xterm's own option does the same for a screen without scroll regions.
      this.term.options.scrollOnEraseInDisplay = true;
    }
  }

  /** Replies the emulator generates (device reports); the caller decides which may reach the pty. */
  onReply(listener: (data: string) => void): void {
    this.disposables.push(this.term.onData(listener));
  }

  /** Parses `chunk`; `done` runs once all of it is on the screen or in history. */
  write(chunk: Uint8Array, done: () => void): void {
    const writeSync = this.writeSync;
    if (writeSync) {
      if (this.internals) this.writeBypassing(chunk, this.internals);
      else this.emulate(chunk, writeSync);
      this.changes += 1;
      this.writeCount += 1;
      this.parsedBytes += chunk.byteLength;
      done();
      return;
    }
    const pieces = splitByScrollBudget(collapseIdempotentRuns(chunk), this.term.cols, ROWS_PER_WRITE);
    let left = pieces.length;
    for (const piece of pieces) {
      this.term.write(piece, () => {
        this.harvest();
        this.changes += 1;
        this.writeCount += 1;
        left -= 1;
        if (left > 0) return;
        this.parsedBytes += chunk.byteLength;
        done();
      });
    }
  }

  /**
   * Resizes the terminal; xterm re-wraps the lines it holds (its reflow), the cursor's line too, and the
   * cursor goes where its column of the line went. Every line printed reads as printed afterwards, also one
   * that had partly scrolled into history (see takeBackCursorLine, anchorMovedForReflow).
   *
   * Why the cursor's line: xterm.js leaves it as it is by default (a shell redraws its own line): on a narrower
   * screen its rows lost the columns past the new width, for good, and a wider one kept their breaks, so a
   * progress line or an unfinished `printf` read back cut, or split by blanks (attack review).
   */
  resize(cols: number, rows: number): void {
    if (cols === this.term.cols && rows === this.term.rows) return; // nothing moves (xterm's resize returns too)
    this.settle();
    this.harvest();
    const normal = this.term.buffer.normal;
    const position = this.echoInternals?.service.buffers.normal as CursorPosition | undefined;
    const kind: CursorKind = this.isAlternateScreen ? "saved" : "cursor";
    const cursorRow = position ? cursorRowOf(position, kind) : normal.baseY + normal.cursorY;
    const reflowCursor = position !== undefined && this.takeBackCursorLine(cursorRow);
    this.term.options.reflowCursorLine = reflowCursor;
    const cursor =
      reflowCursor && position ? cursorOffset(normal, position, kind, this.term.cols) : undefined;
    const cursorLine = cursor && this.markerAt(cursor.first);
    const anchor = this.anchorMovedForReflow(cursorRow);
    const survey = new ReflowSurvey(normal, this.hotLine(), this.history.end, (row) => this.markerAt(row));
    // A narrower screen pushes rows above it, up to oldCols / (cols - 1) times as many (a wide character
    // that does not fit wastes a column): they wait in the scrollback until they are moved. Trimmed during
    // the reflow instead, rows not yet in history were lost, and the marker of what was moved with them.
    const needed =
      cols < this.term.cols ? normal.length * Math.ceil(this.term.cols / Math.max(1, cols - 1)) : 0;
    if (this.compacted || needed > (this.term.options.scrollback ?? 0)) {
      this.setScrollback(Math.max(EMULATOR_SCROLLBACK, needed));
      this.scrollbackRaised = needed > EMULATOR_SCROLLBACK;
      this.compacted = false;
    }
    // Text below the normal buffer's cursor: xterm would drop rows of it (parkCursorOnLastText). Parked on the
    // last row with text, the cursor is put back in its line after: by placeCursorInLine on the normal screen, by
    // placeNormalCursor under the alternate one. Not when the cursor's line is not re-wrapped (it goes on from
    // rows history holds: takeBackCursorLine), since the parked row's line would be re-wrapped in its place.
    const parked = reflowCursor && position !== undefined && textBelowCursor(position);
    const normalCursor =
      parked && kind === "saved" ? cursorOffset(normal, position, "cursor", this.term.cols) : undefined;
    const normalLine = normalCursor && this.markerAt(normalCursor.first);
    if (parked) parkCursorOnLastText(position);
    const narrower = cols < this.term.cols;
    this.term.resize(cols, rows);
    if (narrower && this.echoInternals) cutAlternateRows(this.echoInternals, cols);
    if (cursor && cursorLine && position && cursorLine.line >= 0)
      placeCursorInLine(
        normal,
        position,
        kind,
        { first: cursorLine.line, offset: cursor.offset },
        { cols, rows },
      );
    if (normalCursor && normalLine && position && normalLine.line >= 0)
      placeNormalCursor(
        normal,
        position,
        { first: normalLine.line, offset: normalCursor.offset },
        { cols, rows },
      );
    cursorLine?.dispose();
    normalLine?.dispose();
    this.restoreMovedAfterReflow(anchor);
    this.recordReflow(survey.finish(normal, (row) => this.absoluteRow(row)));
    this.takeBackShownLines();
    // Rows a narrower screen pushed above the top go to history now: left for the next write, a write that
    // scrolled far enough would trim them first, and what was kept depended on how the output was cut.
    this.harvest();
    this.changes += 1;
  }

  /**
   * For a pane whose program exited, once all its output is parsed: the emulator's own scrollback (rows above
   * the screen, all in history already) is dropped, 256 rows of cells (about 250 KB at 80 columns) per exited
   * pane. Reads are unchanged: they take those rows from history. Skipped while rows on the screen are in
   * history already (after a reset or a wider resize), where the emulator's rows are what tells them apart.
   * History is packed (RowHistory.pack) in any case: about 800 KB of text per 10 000 rows of 80 columns.
   */
  compact(): void {
    this.settle();
    this.marksChanged += 1;
    this.history.pack();
    if (this.compacted || this.isAlternateScreen) return;
    this.harvest();
    if (this.hotLine() > this.term.buffer.normal.baseY) return;
    this.setMoved(undefined);
    this.setScrollback(0);
    this.scrollbackRaised = false;
    this.compacted = true;
  }

  /** Writes parsed so far: frame-wants.ts tells a lone keystroke's echo from streaming output by it. */
  get writes(): number {
    return this.writeCount;
  }

  /** Rows that went to history as plain text without the emulator (see the class comment): a diagnostic. */
  get bypassedRows(): number {
    return this.bypassed;
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
    this.settle();
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

  /**
   * The visible screen as styled runs, with the cursor, whether it shows, and which screen is shown (see
   * frameOf): each row's runs read as that row of renderScreen, sanitized, up to trailing blanks.
   */
  frame(): PaneFrame {
    this.settle();
    return frameOf(this.term);
  }

  /**
   * What `watcher` needs to show the screen as it is now (FrameWatcher.next): the whole frame first, then the
   * rows that changed; undefined when nothing it shows changed. Assembled, the updates equal frame().
   */
  frameUpdate(watcher: FrameWatcher): FrameUpdate | undefined {
    this.settle();
    this.frameRows ??= new FrameRowCache(this.term);
    return watcher.next(this.frameRows, this.changes);
  }

  /** The update `watcher` gets when nothing it shows changed since its last (after frameUpdate gave none). */
  frameUnchanged(watcher: FrameWatcher): FrameUpdate {
    this.frameRows ??= new FrameRowCache(this.term);
    return watcher.unchanged(this.frameRows, this.changes);
  }

  /**
   * Counts this screen's parsed bytes (EchoState.through) on from `bytes`, the pane's output before it: a screen
   * that replaced one whose emulator failed goes on with the pane's count. A person's view counts the pane's
   * output since it began; counted from 0 again, the view held back every update until the new screen had
   * parsed as much again (attack review of 2026-12-03), and drew no echo.
   */
  continueCount(bytes: number): void {
    this.parsedBytes = bytes;
  }

  /**
   * How far the screen is, for a watcher's view to draw an echo at once (EchoState): the bytes parsed so far, and
   * the style plain text printed now gets, if it would only be drawn at the cursor.
   */
  echoState(): EchoState {
    this.settle();
    const internals = this.echoInternals;
    return { through: this.parsedBytes, pen: internals ? echoPen(this.term, internals) : null };
  }

  /**
   * The visible screen, one row per line, trailing blank rows dropped; the cursor's row keeps its blanks up
   * to the cursor (a prompt that ends in a space reads as printed).
   */
  renderScreen(): string {
    this.settle();
    const state = this.readState();
    if (this.rendered?.state === state) return this.rendered.text;
    const buffer = this.term.buffer.active;
    const cursor = { y: buffer.baseY + buffer.cursorY, x: buffer.cursorX };
    const { text, keep } = joinRows(buffer, buffer.baseY, buffer.baseY + this.term.rows, false, cursor);
    const rendered = dropTrailingBlank(text, keep);
    this.rendered = { state, text: rendered };
    return rendered;
  }

  /** What every read depends on: both counters only grow, so an equal sum means neither moved (after settle). */
  private readState(): number {
    return this.changes + this.marksChanged;
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
    this.settle();
    if (this.isAlternateScreen) return undefined;
    const buffer = this.term.buffer.normal;
    return {
      row: this.absoluteRow(buffer.baseY + buffer.cursorY) + offset,
      screen: this.identity,
      clears: this.clears,
      resizes: this.resizes,
    };
  }

  /**
   * Marks the first row of the cursor's line: the next `new` read returns that line again whole, as it then
   * stands, also when it wraps onto rows above the cursor's (a progress line, a long prompt). From the cursor's
   * own row, it returned only the line's last rows (attack review).
   */
  private markCursorLine(): HistoryMark | undefined {
    const mark = this.mark();
    if (mark === undefined) return undefined;
    const buffer = this.term.buffer.normal;
    const cursorRow = buffer.baseY + buffer.cursorY;
    let first = cursorRow;
    while (first > 0 && lineAt(buffer, first)?.isWrapped === true) first--;
    return { ...mark, row: Math.max(this.history.start, mark.row - (cursorRow - first)) };
  }

  /** Marks the top row of the visible screen (everything above it is history that will not change), or rows above it. */
  markScreenTop(overlapRows = 0): HistoryMark | undefined {
    this.settle();
    if (this.isAlternateScreen) return undefined;
    return {
      row: Math.max(this.history.start, this.absoluteRow(this.term.buffer.normal.baseY) - overlapRows),
      screen: this.identity,
      clears: this.clears,
      resizes: this.resizes,
    };
  }

  /**
   * A mark for text printed from now on (wait_for `since: "now"`): reads from it (renderFrom, search) return
   * only what is printed after this call, and the marks for the next read keep that meaning. Release it with
   * releaseSince when the wait ends. See SinceMarks for what counts as printed.
   */
  markSince(): HistoryMark {
    this.settle();
    const top = this.absoluteRow(this.term.buffer.normal.baseY);
    this.marksChanged += 1;
    return { row: top, screen: this.identity, since: this.since.mark(top, this.history.end) };
  }

  /** Ends a since-mark (reads from it then treat only cells untouched by every later mark as old). */
  releaseSince(id: number): void {
    this.since.release(id);
    this.marksChanged += 1;
  }

  /**
   * Logical lines from a mark to the end, and, read at the same moment, where the next read should start:
   * `nextTop` is the screen's top row (`overlapRows` above it), `cursor` the cursor's row. `lost` is true when
   * rows after the mark were dropped from history (more output than the scrollback holds arrived since), in
   * which case everything still held is returned.
   */
  renderFrom(mark: HistoryMark | undefined, overlapRows = 0, withCursorTail = false): RenderedFrom {
    this.settle();
    const nextTop = this.markScreenTop(overlapRows);
    const cursor = this.markCursorLine();
    if (mark?.since !== undefined && mark.screen === this.identity)
      return this.renderSince(mark, overlapRows);
    if (mark === undefined || this.isAlternateScreen) {
      return { text: this.renderScreen(), lost: false, nextTop, cursor };
    }
    const { text, lost } = this.linesFrom(mark);
    if (!withCursorTail || cursor === undefined) return { text, lost, nextTop, cursor };
    return { text, lost, nextTop, cursor, cursorTail: this.linesFrom(cursor).text };
  }

  /** The logical lines from `mark` (of the normal screen) to the end: history's, then the buffer's. */
  private linesFrom(mark: HistoryMark): { text: string; lost: boolean } {
    // A mark from a screen this one replaced (see screen-thread.ts): everything held is new to its reader.
    const foreign = mark.screen !== undefined && mark.screen !== this.identity;
    const start = foreign ? this.history.start : this.clamp(mark);
    const lost = foreign || start < this.history.start;
    const from = Math.max(start, this.history.start);
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
    const cursorAt = { y: buffer.baseY + buffer.cursorY, x: buffer.cursorX };
    const tail = joinRows(
      buffer,
      hotLine + Math.max(0, from - this.history.end),
      buffer.length,
      true,
      cursorAt,
    );
    const head = out.length > 0 ? `${out.join("\n")}\n${current}` : current;
    const keep = tail.keep > 0 ? head.length + tail.keep : 0;
    return { text: dropTrailingBlank(`${head}${tail.text}`, keep), lost };
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
    this.settle();
    const key = `${this.readState()}|${JSON.stringify(mark ?? null)}|${overlapRows}|${locate !== undefined}`;
    const known = this.searches.get(matches);
    if (known?.key === key) return known.result;
    const read = this.renderFrom(mark, overlapRows);
    const matched = searchWindows(read.text, matches);
    const excerpt = matched && locate ? excerptOfMatch(read.text, locate) : undefined;
    const result = {
      matched,
      ...(excerpt === undefined ? {} : { excerpt }),
      lost: read.lost,
      nextTop: read.nextTop,
    };
    if (this.searches.size >= MEMO_SEARCHES && !this.searches.has(matches)) this.searches.clear();
    this.searches.set(matches, { key, result });
    return result;
  }

  dispose(): void {
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.moved?.dispose();
    this.term.dispose();
  }

  /** Absolute row number of normal-buffer row `y` (y at or below the hot marker). */
  private absoluteRow(y: number): number {
    return this.history.end + (y - this.hotLine());
  }

  /**
   * Where a mark reads from: its row, moved where resizes since re-wrapped it (ReflowPlaces), or, when a clear
   * (ED 2, RIS) came after it and the row was one of the old screen's blank rows (its place now belongs to the
   * cleared screen), the cleared screen's first row.
   */
  private clamp(mark: HistoryMark): number {
    let row = mark.row;
    for (
      let resize = Math.max(mark.resizes ?? this.resizes, this.reflowBase);
      resize < this.resizes;
      resize++
    )
      row = (this.reflows[resize - this.reflowBase] as ReflowPlaces).place(row);
    const seen = mark.clears;
    if (seen === undefined || seen >= this.clears) return row;
    const start = this.clearStarts[Math.max(0, seen - this.clearBase)] ?? row;
    return Math.min(row, start);
  }

  /** Notes a resize's place translation (see clamp); the clears' first places move with it. */
  private recordReflow(places: ReflowPlaces): void {
    this.resizes += 1;
    this.reflows.push(places);
    for (const [i, start] of this.clearStarts.entries()) this.clearStarts[i] = places.place(start);
    if (this.reflows.length > 2 * MAX_REFLOWS) {
      this.reflows.splice(0, MAX_REFLOWS);
      this.reflowBase += MAX_REFLOWS;
    }
  }

  /** Notes a clear whose fresh screen starts at place `start` (see clamp). */
  private recordClear(start: number): void {
    this.clears += 1;
    this.clearStarts.push(start);
    // Dropped in halves, not one by one: a flood of clears (ESC c, ESC[2J) stays O(1) each.
    if (this.clearStarts.length > 2 * MAX_CLEARS) {
      this.clearStarts.splice(0, MAX_CLEARS);
      this.clearBase += MAX_CLEARS;
    }
  }

  /**
   * ED 2, and ED 0 from the top-left corner (the same picture): before xterm erases the normal screen, its
   * rows up to the last non-blank one scroll up into history, so a clear never erases a line printed (what
   * xterm's scrollOnEraseInDisplay does, but for the whole screen also when a scroll region is set, where
   * that option scrolls only the region and leaves the rest un-erased).
   */
  private beforeEraseInDisplay(internals: BufferInternals, params: (number | number[])[]): void {
    const { service } = internals;
    const buffer = service.buffer;
    if (buffer !== service.buffers.normal) return;
    const mode = params[0] ?? 0;
    if (mode === 3) {
      // ED 3 trims every row above the screen: move them into history first (ccmux's history keeps them). The
      // marker of what was moved goes with them, unless it is on the screen (a taller screen brought moved rows
      // back onto it): it then stays on its row, which xterm's trim moves up (dropping it anyway made those
      // rows look new, and they went to history twice; found by the `new` reads' model with resizes).
      this.harvest();
      const moved = this.moved;
      const trimmed = this.term.buffer.normal.length - this.term.rows;
      if (moved === undefined || moved.isDisposed || moved.line < trimmed) this.setMoved(undefined);
      return;
    }
    if (!(mode === 2 || (mode === 0 && buffer.x === 0 && buffer.y === 0))) return;
    this.harvest();
    const normal = this.term.buffer.normal;
    let last = this.term.rows - 1;
    while (last >= 0 && (buffer.lines.get(buffer.ybase + last)?.getTrimmedLength() ?? 0) === 0) last--;
    if (last >= 0) {
      const { scrollTop, scrollBottom } = buffer;
      buffer.scrollTop = 0;
      buffer.scrollBottom = this.term.rows - 1;
      try {
        for (let row = 0; row <= last; row++) service.scroll(internals.eraseAttr(), false);
      } finally {
        buffer.scrollTop = scrollTop;
        buffer.scrollBottom = scrollBottom;
      }
      this.harvest();
    }
    this.recordClear(this.absoluteRow(normal.baseY));
  }

  /**
   * A line scrolled out of a scroll region that does not start at the top row is dropped by xterm (only the
   * top row's scrolls reach its scrollback): ccmux moves it into history first. One check per scrolled row.
   */
  private keepRegionScrolls(internals: BufferInternals): void {
    const { service } = internals;
    const scroll = service.scroll;
    service.scroll = (eraseAttr, isWrapped) => {
      const buffer = service.buffer;
      if (buffer.scrollTop > 0 && buffer === service.buffers.normal) {
        this.harvest(); // rows that left the top row before this one come first
        const top = buffer.ybase + buffer.scrollTop;
        const normal = this.term.buffer.normal;
        const line = normal.getLine(top);
        const joins = buffer.scrollBottom > buffer.scrollTop && lineAt(normal, top + 1)?.isWrapped === true;
        if (line && this.since.active) this.since.recorded(this.history.end, line, joins);
        this.history.push(line ? rowText(line, !joins) : "", joins);
        this.lastMovedOpen = false;
      }
      scroll.call(service, eraseAttr, isWrapped);
    };
  }

  /**
   * Before a resize that re-wraps the cursor's line: when that line began above the moved marker (a progress
   * line or a long command longer than the screen), its rows in history are taken back, so the line is
   * re-wrapped whole and goes to history again at the new width; re-wrapped with part of it in history, its
   * text would have been cut where the old rows ended. False when they cannot be (history dropped them
   * already, or its last row is not the moved row's): the line is then not re-wrapped this time.
   */
  private takeBackCursorLine(cursorRow: number): boolean {
    const moved = this.moved;
    if (moved === undefined || moved.isDisposed || moved.line < 0) return true;
    const buffer = this.term.buffer.normal;
    const first = lineStart(buffer, cursorRow);
    if (first > moved.line) return true;
    if (moved.line >= cursorRow || !this.lastMovedOpen) return false;
    // A line longer than the emulator holds starts at row 0 for xterm's reflow too: history keeps what came
    // before it, joined to it.
    if (!this.history.dropLast(moved.line - first + 1)) return false;
    if (this.since.active) this.since.forgetRecorded(this.history.end);
    this.setMoved(first > 0 ? this.markerAt(first - 1) : undefined);
    this.lastMovedOpen = first > 0;
    return true;
  }

  /**
   * After a resize that brought rows back from the emulator's scrollback onto a taller screen: the lines on those
   * rows are taken back out of history (whole lines, from the first that reaches the screen), so the screen holds
   * them alone again, as tmux moves history lines back onto a taller pane. Left in history, they were read from
   * there as printed, whatever the program did to them on the screen since, and the cursor's line among them was
   * never re-wrapped again: an attack review moved the cursor onto such a line, resized, and lost part of it; and
   * what it printed over such rows never reached history or `new` reads. They go to history again when they
   * scroll off, at the same places (absolute row numbers are counted from history's end). Nothing is taken back
   * when history packed those rows already (RowHistory.dropLast), or under the alternate screen.
   */
  private takeBackShownLines(): void {
    const moved = this.moved;
    if (this.isAlternateScreen || moved === undefined || moved.isDisposed || moved.line < 0) return;
    const buffer = this.term.buffer.normal;
    if (moved.line < buffer.baseY) return;
    let first = lineStart(buffer, buffer.baseY);
    // A line whose first rows the emulator trimmed already (history has them) stays in history whole.
    while (first <= moved.line && lineAt(buffer, first)?.isWrapped === true) first++;
    if (first > moved.line) return;
    // The buffer's lines from `first` through the moved row (the last may go on past it, not yet in history),
    // each with its rows now; history holds the same lines as printed, in rows a reflow did not re-wrap.
    const shown: Array<{ row: number; rows: number }> = [];
    for (let y = first; y <= moved.line; ) {
      let end = y + 1;
      while (end < buffer.length && lineAt(buffer, end)?.isWrapped === true) end++;
      shown.push({ row: y, rows: end - y });
      y = end;
    }
    const held: Array<{ place: number; rows: number }> = [];
    for (let row = this.history.end - 1, rows = 0; held.length < shown.length; row--) {
      if (row < this.history.start) return;
      rows += 1;
      if (row === this.history.start || !this.history.joinsNext(row - 1)) {
        held.unshift({ place: row, rows });
        rows = 0;
      }
    }
    // Only what history holds of exactly these lines, as history records rows (a wide character pushed to the
    // next row leaves no blank: wrappedRowText): rows a scroll region pushed out are in history and not in the
    // buffer, and a row the program rewrote reads otherwise now. History gives rows back from its end only, so
    // the lines after the last that differs are taken back (an attack review: a wide character at a row's edge
    // kept every line above it in history, and their rewrites never reached reads).
    const oldHot = this.hotLine();
    let from = shown.length;
    while (from > 0) {
      const line = shown[from - 1] as { row: number; rows: number };
      const before = held[from - 1] as { place: number; rows: number };
      let kept = "";
      for (let row = before.place; row < before.place + before.rows; row++) kept += this.history.text(row);
      let now = "";
      for (let y = line.row; y < line.row + line.rows; y++) {
        const row = lineAt(buffer, y);
        const next = lineAt(buffer, y + 1);
        if (row === undefined) break;
        now += recordedRowText(row, next);
      }
      const open = from === shown.length && line.row + line.rows > oldHot;
      if (open ? !now.startsWith(kept) : now.trimEnd() !== kept.trimEnd()) break;
      from -= 1;
    }
    if (from === shown.length) return;
    const taken = shown.slice(from);
    const given = held.slice(from);
    const start = (taken[0] as { row: number }).row;
    const rows = given.reduce((sum, line) => sum + line.rows, 0);
    if (!this.history.dropLast(rows)) return;
    if (this.since.active) this.since.forgetRecorded(this.history.end);
    this.setMoved(start > 0 ? this.markerAt(start - 1) : undefined);
    // Row `start` starts a line: history's last row ends one.
    this.lastMovedOpen = false;
    // Places from the first row taken back move: each line's rows are now the buffer's, counted from history's
    // new end (absoluteRow), not history's as printed. A mark taken before (a `new` read) moves with its line.
    const moves = taken.map((line, i) => {
      const before = given[i] as { place: number; rows: number };
      const hot = i === taken.length - 1 ? Math.max(0, line.row + line.rows - oldHot) : 0;
      return {
        from: before.place,
        rows: before.rows + hot,
        to: this.history.end + (line.row - start),
        toRows: line.rows,
      };
    });
    this.recordReflow(new ReflowPlaces(this.history.end, moves));
  }

  /**
   * A resize re-wraps lines (xterm's reflow), and the moved marker (the last row in history) stays on its row
   * number within its line: on a wider screen that row may merge into the line's first one and be disposed,
   * on a narrower one it becomes a middle row of the line. Either way rows of a line history holds went there
   * a second time, or rows never went (attack review: a 241-character line read back as 321 characters at 80
   * columns). So:
   * - the rest of a line the moved row wraps into goes to history now (up to the cursor's row, which may still
   *   change), and a marker on the line's first row, which reflow keeps, finds the line's end again afterwards
   *   (restoreMovedAfterReflow);
   * - the cursor's line, when it goes on from the moved row and could not be taken back (takeBackCursorLine),
   *   is not re-wrapped this once: the moved row keeps its place, and only loses the columns past a narrower
   *   width, which history keeps as printed.
   * History's last row is then the line as printed, not as its last row reads at the new width
   * (movedTextFixed). `cursorRow`: the normal buffer's row of the cursor the resize carries (CursorKind).
   */
  private anchorMovedForReflow(cursorRow: number): IMarker | undefined {
    const moved = this.moved;
    if (moved === undefined || moved.isDisposed || moved.line < 0) return undefined;
    const buffer = this.term.buffer.normal;
    let last = moved.line;
    while (last + 1 < cursorRow && lineAt(buffer, last + 1)?.isWrapped === true) last++;
    if (lineAt(buffer, last + 1)?.isWrapped === true) {
      this.movedTextFixed = true;
      return undefined;
    }
    if (last > moved.line) {
      this.moveRows(moved.line + 1, last + 1);
      this.setMoved(this.markerAt(last));
    }
    let first = last;
    while (first > 0 && buffer.getLine(first)?.isWrapped === true) first--;
    return this.markerAt(first);
  }

  /** After a reflow: the moved marker goes to the last row of the anchor's line (see anchorMovedForReflow). */
  private restoreMovedAfterReflow(anchor: IMarker | undefined): void {
    if (anchor === undefined) return;
    if (!anchor.isDisposed && anchor.line >= 0) {
      const buffer = this.term.buffer.normal;
      let last = anchor.line;
      while (lineAt(buffer, last + 1)?.isWrapped === true) last++;
      this.setMoved(this.markerAt(last));
      this.movedTextFixed = true;
      this.lastMovedOpen = true;
    }
    anchor.dispose();
  }

  /**
   * Sets the emulator's own scrollback (rows). The option resizes xterm's buffers to the same size, which keeps
   * the cursor inside the screen: a cursor waiting to wrap (after printing the last column, x = cols) came back
   * one column left, and the next character overwrote the line's last one (attack review: a resize once 128
   * lines had scrolled). The cursor's column is kept.
   */
  private setScrollback(rows: number): void {
    const normal = this.echoInternals?.service.buffers.normal;
    const x = normal?.x;
    this.term.options.scrollback = rows;
    if (normal && x !== undefined && x === this.term.cols) normal.x = x;
  }

  /** The moved marker is now `marker`: history's last row is that row's text (see movedTextFixed). */
  private setMoved(marker: IMarker | undefined): void {
    if (this.moved !== marker) this.moved?.dispose();
    this.moved = marker;
    this.movedTextFixed = false;
  }

  /** A marker on normal-buffer row `line`, also while the alternate screen is shown (where xterm's API would put it). */
  private markerAt(line: number): IMarker | undefined {
    const normal = this.echoInternals?.service.buffers.normal;
    if (typeof normal?.addMarker === "function") return normal.addMarker(line);
    if (this.isAlternateScreen) return undefined; // xterm's API would put it on the alternate screen
    const buffer = this.term.buffer.normal;
    return this.term.registerMarker(line - (buffer.baseY + buffer.cursorY));
  }

  private hotLine(): number {
    const moved = this.moved;
    return moved === undefined || moved.isDisposed || moved.line < 0 ? 0 : moved.line + 1;
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
    const cursorY = buffer.baseY + buffer.cursorY;
    if (cursorY > last && buffer.cursorX > 0) last = cursorY;
    let line = buffer.getLine(from);
    for (let y = from; y <= last && line; y++) {
      const next = lineAt(buffer, y + 1);
      const joins = y < last && next?.isWrapped === true;
      if (this.since.active) this.since.recorded(this.history.end, line, joins);
      this.history.push(
        joins && next ? wrappedRowText(line, next) : rowText(line, true, y === cursorY ? buffer.cursorX : 0),
        joins,
      );
      line = next;
    }
    this.recordClear(this.history.end);
    this.lastMovedOpen = false;
    this.resetting = true;
  }

  /** After a reset the normal buffer is new and empty: history continues at its first row. */
  private restartAfterReset(): void {
    if (!this.resetting) return;
    this.resetting = false;
    this.setMoved(undefined);
  }

  /** Moves the rows that scrolled off the normal screen since the last call into history. */
  private harvest(): void {
    if (this.isAlternateScreen) return; // the normal buffer does not scroll meanwhile
    const buffer = this.term.buffer.normal;
    this.refreshLastMoved();
    // Rows trimmed before we got to them (one write scrolled more than the emulator holds): say so, visibly.
    if (this.moved?.isDisposed) {
      this.history.push(LOST_ROWS_NOTE, false);
      this.lastMovedOpen = false;
      this.setMoved(undefined);
    }
    const from = this.hotLine();
    if (from < buffer.baseY) {
      this.moveRows(from, buffer.baseY);
      this.setMoved(this.term.registerMarker(-buffer.cursorY - 1));
      this.lastMovedOpen = true;
    }
    if (this.scrollbackRaised) {
      // Every row above the screen is in history now: the emulator may drop all but its usual scrollback.
      this.scrollbackRaised = false;
      this.setScrollback(EMULATOR_SCROLLBACK);
    }
  }

  /**
   * The last row moved into history joins the next row when that one continues it (a wrapped line), and the
   * next row stays on the screen, where a program can still delete, erase or rewrite it (SU, DL, EL, DECALN)
   * until it scrolls off. So the last row's join (and its text: a row that joins keeps its trailing blanks) is
   * read again from the buffer before every read and every move: history is then what the screen says, not
   * what it said when the pty's output happened to be cut (found by an attack review: a wrapped line's
   * first row joined to the line after the one SU deleted).
   */
  private refreshLastMoved(): void {
    const moved = this.moved;
    if (!this.lastMovedOpen || moved === undefined || moved.isDisposed || moved.line < 0) return;
    if (this.isAlternateScreen || this.history.end === 0) return;
    const buffer = this.term.buffer.normal;
    const line = lineAt(buffer, moved.line);
    if (line === undefined) return;
    const next = lineAt(buffer, moved.line + 1);
    const joins = next?.isWrapped === true;
    const last = this.history.end - 1;
    if (this.movedTextFixed) {
      if (joins !== this.history.joinsNext(last)) this.history.replaceLast(this.history.text(last), joins);
      return;
    }
    const text = recordedRowText(line, next);
    if (joins === this.history.joinsNext(last) && text === this.history.text(last)) return;
    this.history.replaceLast(text, joins);
  }

  /** Moves normal-buffer rows [from, to) into history, a row the next continues joined to it. */
  private moveRows(from: number, to: number): void {
    const buffer = this.term.buffer.normal;
    let line = buffer.getLine(from);
    for (let y = from; y < to && line; y++) {
      const next = lineAt(buffer, y + 1);
      const joins = next?.isWrapped === true;
      if (this.since.active) this.since.recorded(this.history.end, line, joins);
      this.history.push(recordedRowText(line, next), joins);
      line = next;
    }
  }

  /** Parses `chunk` on the emulator, in pieces that each scroll at most ROWS_PER_WRITE rows, moving rows to history. */
  private emulate(chunk: Uint8Array, writeSync: (data: Uint8Array) => void): void {
    for (const piece of splitByScrollBudget(collapseIdempotentRuns(chunk), this.term.cols, ROWS_PER_WRITE)) {
      writeSync(piece);
      this.harvest();
    }
  }

  /**
   * write(), with plain lines held back or sent to history as text while the screen is in plain state (see
   * the class comment); every other byte goes to the emulator, after what is held.
   */
  private writeBypassing(chunk: Uint8Array, internals: BufferInternals): void {
    const writeSync = this.writeSync as (data: Uint8Array) => void;
    // What a resize moved above the screen goes to history first, as emulate's first harvest would take it.
    if (this.pending.empty) this.harvest();
    let at = 0;
    while (at < chunk.length) {
      if (this.pending.empty) {
        const state = plainLinesScroll(this.term, internals);
        if (state !== "yes") {
          const end = state === "no" ? chunk.length : nextPlainRun(chunk, at, MIN_PLAIN_RUN_LINES);
          this.emulate(chunk.subarray(at, end), writeSync);
          at = end;
          continue;
        }
      }
      const feeds = this.feeds;
      feeds.length = 0;
      const end = plainTextEnd(chunk, at, this.pending.lineSoFar, this.pending.endsWithCR, feeds);
      if (end > at) {
        this.pending.append(chunk, at, end, this.term.cols, feeds);
        this.bypassOldest();
        at = end;
        continue;
      }
      // A byte that does not print plainly: the emulator gets what is held, then the output up to the next
      // run of plain lines.
      this.settle();
      const stop = nextPlainRun(chunk, at, MIN_PLAIN_RUN_LINES);
      this.emulate(chunk.subarray(at, stop), writeSync);
      at = stop;
    }
  }

  /** Sends the oldest held lines to history once more are held than the emulator must see (see the class comment). */
  private bypassOldest(): void {
    const keep = EMULATOR_SCROLLBACK + this.term.rows;
    if (this.pending.rows < keep + BYPASS_BATCH_ROWS) return;
    const buffer = this.term.buffer.normal;
    const first = this.bypassing ? this.history.end : this.absoluteRow(buffer.baseY + buffer.cursorY);
    if (this.since.active && this.since.lastTaggedRow >= first) {
      // The held lines begin on a row a since-mark tagged (it tells the cells printed since from those it
      // found): the emulator takes them, and the bypass resumes below the rows the mark saw.
      this.settle();
      return;
    }
    const cols = this.term.cols;
    const taken = this.pending.takeOldest(keep, cols, (bytes, ends) => {
      if (!this.bypassing) {
        // The rows above the cursor's (blank) row scroll off before the held lines print: they go first. The
        // emulator keeps showing them until `settle`; the marker says they are moved.
        this.harvest();
        this.moveRows(this.hotLine(), buffer.baseY + buffer.cursorY);
        this.setMoved(this.term.registerMarker(-1));
        this.bypassing = true;
      }
      const before = this.history.end;
      this.history.pushPlainLines(bytes, ends, cols);
      this.bypassed += this.history.end - before;
    });
    if (!taken) return;
    this.lastMovedOpen = false;
  }

  /**
   * Gives the emulator the plain text held back. Its last rows (at least the screen and the emulator's own
   * scrollback) then leave the emulator's buffer as parsing every byte would have; the rows above them are in
   * history already.
   */
  private settle(): void {
    if (this.pending.empty) {
      if (this.lastMovedOpen) this.refreshLastMoved();
      return;
    }
    const held = this.pending.drain();
    this.bypassing = false;
    this.emulate(held, this.writeSync as (data: Uint8Array) => void);
  }
}

/**
 * Rows [start, end) of a buffer as text: one line per row, or wrapped rows joined into logical lines. The row
 * `cursor.y` keeps its columns up to `cursor.x`; `keep` is where that row's text ends in `text` (0 when the
 * cursor is not in the range or sits in column 0).
 */
function joinRows(
  buffer: IBuffer,
  start: number,
  end: number,
  joinWrapped: boolean,
  cursor?: { y: number; x: number },
): { text: string; keep: number } {
  const out: string[] = [];
  let done = 0;
  let keep = 0;
  let current = "";
  let line = buffer.getLine(Math.max(0, start));
  for (let y = Math.max(0, start); y < end && line; y++) {
    const next = lineAt(buffer, y + 1);
    const continues = joinWrapped && next?.isWrapped === true;
    const atCursor = cursor !== undefined && y === cursor.y;
    current += continues && next ? wrappedRowText(line, next) : rowText(line, true, atCursor ? cursor.x : 0);
    if (atCursor && cursor.x > 0) keep = done + current.length;
    if (!continues) {
      out.push(current);
      done += current.length + 1;
      current = "";
    }
    line = next;
  }
  if (current !== "") out.push(current);
  return { text: out.join("\n"), keep };
}

/**
 * `text` without trailing blank lines and blanks, except the first `keep` characters (up to the cursor). Only
 * the spaces of blank cells and newlines go: a last line ending in a character that JavaScript counts as
 * whitespace (U+3000, U+00A0, U+FEFF) reads as any other line does (and as `ccmux attach` draws it).
 */
function dropTrailingBlank(text: string, keep = 0): string {
  const trimmed = text.replace(/[ \n]+$/u, "");
  return trimmed.length >= keep ? trimmed : text.slice(0, keep);
}

/** Clears remembered for marks (HistoryMark.clears), at least: a reader further behind reads from the oldest kept. */
const MAX_CLEARS = 4096;
/** Resizes remembered for marks (HistoryMark.resizes), at least: a mark from before older ones is read as it is. */
const MAX_REFLOWS = 64;
/** Searches remembered per screen (one per query a wait polls with): waits on one pane are few. */
const MEMO_SEARCHES = 16;
