import type { EchoState } from "./frame-echo.js";
import type { HistoryMark } from "./pane-screen.js";
import type { FrameUpdate } from "./screen-frame.js";
import type { ScreenOptions } from "./screen-port.js";
import type { TextQuery } from "./text-query.js";

/** The reads a screen answers across the thread boundary (method names of PaneScreen's read side). */
export type ScreenCall =
  | { method: "snapshot"; args: [] }
  | { method: "frame"; args: [] }
  | { method: "state"; args: [] }
  | { method: "scrollback"; args: [lines?: number] }
  | { method: "markScreenTop"; args: [overlapRows?: number] }
  | {
      method: "renderFrom";
      args: [mark: HistoryMark | undefined, overlapRows?: number, withCursorTail?: boolean];
    }
  | {
      method: "search";
      args: [mark: HistoryMark | undefined, overlapRows: number, query: TextQuery, excerpt?: boolean];
    }
  /** With a boundary the owner fixed (SinceBoundaries: its slot, and the bytes before the mark): placed there. */
  | { method: "markSince"; args: [] | [slot: number, at: number] }
  | { method: "releaseSince"; args: [id: number] }
  | { method: "resize"; args: [cols: number, rows: number] }
  | { method: "compact"; args: [] };

/** Messages to the screen thread. */
export type ToScreenThread =
  | { op: "create"; id: number; options: ScreenOptions }
  /**
   * Sent once, first: where the thread records the pane it is parsing (read back after a fatal fault), and the
   * ring batches are placed in (BatchRing).
   */
  | { op: "init"; busy: Int32Array; ring: SharedArrayBuffer }
  | { op: "write"; id: number; chunk: Uint8Array }
  /** A batch at `[start, start + length)` of the ring; its `parsed` names `slot`, after which it may be reused. */
  | { op: "write"; id: number; slot: number; start: number; length: number }
  | ({ op: "call"; id: number; call: number } & ScreenCall)
  /**
   * From now on the thread reads screen `id`'s pty itself, from `fd` (a close-on-exec duplicate of the master
   * that the thread owns and closes: ThreadPtyReader). Sent after every batch read before it. `boundaries`: where
   * the owner fixes since-marks meanwhile (since-boundaries.ts).
   */
  | { op: "read"; id: number; fd: number; boundaries: BigInt64Array }
  /** Stop reading screen `id`'s pty (its owner reads it from now on): answered by `ended` with `how: "stopped"`. */
  | { op: "unread"; id: number }
  /** Screen `id`'s process exited: reading ends once its output stays idle (ThreadPtyReader.exited). */
  | { op: "exited"; id: number }
  | { op: "dispose"; id: number }
  /** Drop screen `id`'s queued writes unparsed, acknowledging each (ScreenPort.discardBacklog). */
  | { op: "discard"; id: number }
  /** A frame watcher on screen `id` (ScreenPort.watchFrames), its wants, its end. */
  | { op: "watch" | "unwatch"; id: number; watch: number }
  | {
      op: "want";
      id: number;
      watch: number;
      spaced: boolean;
      /** Answer once this much output is parsed even if the watcher's view did not change (FrameWants.want). */
      through?: number;
    };

/** Messages from the screen thread. */
export type FromScreenThread =
  /**
   * A write is parsed (or dropped); `slot`: the ring place it came in, free again; `nsPerByte`: what the pane's
   * output costs to parse as measured so far (ParseCost).
   */
  | { op: "parsed"; id: number; slot?: number; nsPerByte?: number }
  /** The pane's output got costlier to parse (ParseCost.sample), told before the write in progress is done. */
  | { op: "cost"; id: number; nsPerByte: number }
  | { op: "reply"; id: number; data: string }
  /** Output the thread read itself was parsed (sent at most every PROGRESS_MS while it keeps coming). */
  | { op: "progress"; id: number }
  /**
   * The thread stopped reading screen `id`'s pty and closed its descriptor, having read `read` bytes from it in
   * all: at the pty's end (`end`, sent once all it read is parsed), or as asked (`stopped`, sent at once).
   */
  | { op: "ended"; id: number; how: "end" | "stopped"; read: number }
  /** The pane's emulator threw; its screen was replaced by an empty one. `reason` is for the note. */
  | { op: "lost"; id: number; reason: string }
  /**
   * A call's answer. `behind`: bytes of the pane's output written before the call that were not yet parsed
   * when it was answered (it waited its limit: screen-thread.ts answerReady); 0 when none.
   */
  | { op: "result"; call: number; value?: unknown; error?: string; behind?: number }
  /** A frame update answering watcher `watch`'s want (FrameListener), and the screen right after it. */
  | { op: "frame"; id: number; watch: number; update: FrameUpdate; streaming: boolean; echo: EchoState };
