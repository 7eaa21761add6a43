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
  | { method: "markSince"; args: [] }
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
  /** The pane's emulator threw; its screen was replaced by an empty one. `reason` is for the note. */
  | { op: "lost"; id: number; reason: string }
  /**
   * A call's answer. `behind`: bytes of the pane's output written before the call that were not yet parsed
   * when it was answered (it waited its limit: screen-thread.ts answerReady); 0 when none.
   */
  | { op: "result"; call: number; value?: unknown; error?: string; behind?: number }
  /** A frame update answering watcher `watch`'s want (FrameListener), and the screen right after it. */
  | { op: "frame"; id: number; watch: number; update: FrameUpdate; streaming: boolean; echo: EchoState };
