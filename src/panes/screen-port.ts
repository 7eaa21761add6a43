import type { EchoDraw } from "./frame-echo.js";
import type { HistoryMark, RenderedFrom, SearchResult } from "./pane-screen.js";
import type { FrameUpdate, PaneFrame } from "./screen-frame.js";
import type { TextQuery } from "./text-query.js";

/** The cursor and the keyboard mode. */
export interface ScreenState {
  cursor: { row: number; col: number };
  /** DECCKM: arrow keys must be sent in application mode (ESC O A …). */
  applicationCursor: boolean;
}

/** What a read of the visible screen returns. */
export interface ScreenSnapshot extends ScreenState {
  text: string;
}

/**
 * A pane's emulator as the pane sees it, wherever it runs (this thread or the screen thread). Writes are
 * acknowledged by callback in order; reads answer after every earlier write has been parsed.
 */
export interface ScreenPort {
  write(chunk: Uint8Array, done: () => void): void;
  /**
   * Bytes written but not yet acknowledged that the pane may have, at most: OutputFeed pauses the pty beyond
   * them. Bounded by what the screen measured its output to cost (parse-cost.ts), so a read never waits long
   * for the pane's own backlog.
   */
  backlogBytes(): number;
  /** Replies the emulator generates to device queries; the pane filters them before they reach the pty. */
  onReply(listener: (data: string) => void): void;
  snapshot(): Promise<ScreenSnapshot>;
  /** The visible screen as styled runs (PaneScreen.frame). */
  frame(): Promise<PaneFrame>;
  state(): Promise<ScreenState>;
  scrollback(lines?: number): Promise<string>;
  markScreenTop(overlapRows?: number): Promise<HistoryMark | undefined>;
  /** `withCursorTail`: with the text from the next cursor mark on (RenderedFrom.cursorTail). */
  renderFrom(
    mark: HistoryMark | undefined,
    overlapRows?: number,
    withCursorTail?: boolean,
  ): Promise<RenderedFrom>;
  /** With `excerpt`, a match also returns its excerpt (SearchResult.excerpt). */
  search(
    mark: HistoryMark | undefined,
    overlapRows: number,
    query: TextQuery,
    excerpt?: boolean,
  ): Promise<SearchResult>;
  /** A mark for text printed from now on (PaneScreen.markSince); end it with releaseSince. */
  markSince(): Promise<HistoryMark>;
  releaseSince(id: number): Promise<void>;
  /** Resizes the emulator (xterm re-wraps the lines it holds); answers after every earlier write. */
  resize(cols: number, rows: number): Promise<void>;
  /**
   * Drops the output written but not parsed yet, acknowledging each write as dropped: for a pane being removed,
   * so its end does not wait for a backlog nobody will read (screen-thread.ts answerReady).
   */
  discardBacklog(): void;
  /** The pane's program exited and its output is parsed: the screen gives back what only a live one needs. */
  compact(): Promise<void>;
  /**
   * A live view of the screen for one watcher (a person attached): updates are pushed to `listener`, one per
   * FrameWatch.want(), from the thread that parses the output, right after it parsed a change (no read is
   * asked for). The first is the whole frame; later ones the rows that changed (FrameUpdate). Assembled in
   * order they equal frame(). See FrameListener for `streaming`.
   */
  watchFrames(listener: FrameListener): FrameWatch;
  /**
   * Has the thread that parses the output read the pane's pty itself from now on, from `fd` (a close-on-exec
   * duplicate of the master, PtyProcess.handOff), which it then owns and closes. False when it cannot: `fd` is
   * not taken (the caller closes it and reads on). Absent on screens parsed on the thread that reads the pty.
   */
  readPty?(fd: number, reading: PtyReading): boolean;
  /** Stops the reading readPty began: `reading.ended("stopped")` follows, after which the pane reads the pty. */
  stopReadingPty?(): void;
  /** The pane's process exited: the reading readPty began ends once output stays idle (ThreadPtyReader.exited). */
  ptyProcessExited?(): void;
  /**
   * Set once the emulator failed on this pane (or the screen thread died) and the screen was replaced by an
   * empty one: one line saying when and why, for read results. Undefined while the screen is intact.
   */
  readonly lostNote: string | undefined;
  /**
   * Bytes of output written before the last answered read that the read was answered without: it waited its
   * limit for a backlog that parses slowly (screen-thread.ts answerReady). 0 when the screen was up to date.
   */
  readonly behindBytes: number;
  dispose(): void;
}

/**
 * Gets a screen's updates. `streaming`: the screen had already changed again when the update was asked for
 * (output keeps coming), so the caller may space its next want; false when the update waited for the change
 * (a keystroke's echo) and for the first update. `echo`: set for an echo drawn ahead of the parse, on the thread
 * that reads the pty (echo-view.ts), and what it drew; it answers no want: the caller asks for nothing after it.
 */
export type FrameListener = (update: FrameUpdate, streaming: boolean, echo?: EchoDraw) => void;

/** What a pane hears of the reading of its pty by its screen's thread (ScreenPort.readPty). */
export interface PtyReading {
  /** Output the thread read was parsed (told at most every few ms while it keeps coming). */
  parsed(): void;
  /**
   * The thread no longer reads the pty and has closed its descriptor: at the pty's end (`end`: EOF, or idle
   * after the exit), once all it read is parsed; as asked (`stopped`, stopReadingPty); or because the thread
   * died (`lost`). Whatever the kernel still holds is the pane's to read.
   */
  ended(how: "end" | "stopped" | "lost"): void;
}

/** One watcher's subscription to a screen's frames (ScreenPort.watchFrames). */
export interface FrameWatch {
  /**
   * Asks for the next update: sent at once when what the watcher shows changed since its last update, else as
   * soon as it changes. `spaced`: asked after a wait (the frame spacing, a backed-up socket), not at once after
   * the last update; it decides `streaming` (frame-wants.ts). Wants do not add up: one update answers any
   * number of them.
   */
  want(spaced?: boolean): void;
  /** Ends the subscription; no update comes after it. */
  close(): void;
}

export interface ScreenOptions {
  cols: number;
  rows: number;
  scrollback: number;
}

/** Creates screens; closing it releases whatever they share (the screen thread). */
export interface ScreenFactory {
  create(options: ScreenOptions): ScreenPort;
  close(): Promise<void>;
}
