import type { EchoState } from "./frame-echo.js";
import { FrameWatcher } from "./frame-rows.js";
import type { PaneScreen } from "./pane-screen.js";
import type { FrameUpdate } from "./screen-frame.js";

/** The least time between two frames to one watcher while output streams, in ms (at most 100 a second). */
export const FRAME_SPACING_MS = 10;

/** Posts an update, with how far the screen is right after it (EchoState). */
type Send = (watch: number, update: FrameUpdate, streaming: boolean, echo: EchoState) => void;

interface Watcher {
  watcher: FrameWatcher;
  wanted: boolean;
  first: boolean;
  /** The screen's write count when the last update went out. */
  writesAtSend: number;
  /** An update is owed once this much output is parsed, changed or not (`want`'s `through`). */
  syncThrough: number | undefined;
}

/**
 * The frame watchers of one screen and their open wants, where the screen is parsed (screen-thread.ts,
 * local-screens.ts): a want is answered at once when what its watcher shows changed, else right after the
 * next write that changes it (ScreenPort.watchFrames). One update per want.
 *
 * `streaming` (the watcher spaces its next want by FRAME_SPACING_MS) is the pacing rule:
 * - an update that waited for its change is not streaming: a keystroke's echo goes out at once, however soon
 *   after the last frame;
 * - a want that finds the screen changed already is streaming when it was asked at once after the last update
 *   (output arrived while that update was on its way: the old FramePump's rule), or, asked after a wait
 *   (`spaced`: the spacing, a backed-up socket), when more than one write came since the last update (output
 *   kept flowing while the watcher waited). A single write found by a spaced want (a keystroke typed during
 *   the wait) is not: the watcher leaves the spacing as soon as output stops.
 */
export class FrameWants {
  private readonly watchers = new Map<number, Watcher>();
  private open = 0;

  /** Some watcher waits for the screen to change (an open want). */
  get waiting(): boolean {
    return this.open > 0;
  }

  add(watch: number): void {
    this.watchers.set(watch, {
      watcher: new FrameWatcher(),
      wanted: false,
      first: true,
      writesAtSend: 0,
      syncThrough: undefined,
    });
  }

  remove(watch: number): void {
    const entry = this.watchers.get(watch);
    if (entry?.wanted) this.open -= 1;
    this.watchers.delete(watch);
  }

  /**
   * Watcher `watch` wants its next update (`spaced`: after a wait): sent now if there is one. With `through`, it
   * is owed one once the screen has parsed that much output, even if nothing it shows changed: its view drew an
   * echo ahead of the parse (echo-view.ts), which the screen may have undone before it was asked again.
   */
  want(watch: number, spaced: boolean, screen: PaneScreen, send: Send, through?: number): void {
    const entry = this.watchers.get(watch);
    if (!entry) return;
    if (through !== undefined) entry.syncThrough = Math.max(entry.syncThrough ?? 0, through);
    if (entry.wanted) {
      if (through !== undefined) this.answer(watch, entry, screen, send, false);
      return;
    }
    entry.wanted = true;
    this.open += 1;
    const streaming = !entry.first && (!spaced || screen.writes - entry.writesAtSend > 1);
    this.answer(watch, entry, screen, send, streaming);
  }

  /** The screen may have changed (a write parsed, a resize, a replaced screen): open wants get their update. */
  changed(screen: PaneScreen, send: Send): void {
    if (this.open === 0) return;
    for (const [watch, entry] of this.watchers) {
      if (entry.wanted) this.answer(watch, entry, screen, send, false);
    }
  }

  private answer(watch: number, entry: Watcher, screen: PaneScreen, send: Send, streaming: boolean): void {
    const echo = screen.echoState();
    const synced = entry.syncThrough !== undefined && echo.through >= entry.syncThrough;
    const update =
      screen.frameUpdate(entry.watcher) ?? (synced ? screen.frameUnchanged(entry.watcher) : undefined);
    if (update === undefined) return;
    if (synced) entry.syncThrough = undefined;
    entry.wanted = false;
    entry.first = false;
    entry.writesAtSend = screen.writes;
    this.open -= 1;
    send(watch, update, streaming, echo);
  }
}
