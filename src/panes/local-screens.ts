import { FrameWants } from "./frame-wants.js";
import { PaneScreen } from "./pane-screen.js";
import { MAX_BACKLOG_BYTES } from "./parse-cost.js";
import type { FrameUpdate } from "./screen-frame.js";
import { screenLostNote } from "./screen-lost.js";
import type { FrameListener, ScreenFactory, ScreenOptions, ScreenPort } from "./screen-port.js";
import { QueryCache } from "./text-query.js";

/** Screens parsed on the calling thread: for tests and as the fallback when no screen thread can start. */
export class LocalScreens implements ScreenFactory {
  private readonly queries = new QueryCache();

  create(created: ScreenOptions): ScreenPort {
    let options = created;
    let screen = new PaneScreen(options);
    let lostNote: string | undefined;
    const replies: Array<(data: string) => void> = [];
    const wants = new FrameWants();
    const watches = new Map<number, FrameListener>();
    let nextWatch = 1;
    // Updates reach their listener on a later microtask: never inside the want() or write() that made them.
    const sendFrame = (watch: number, update: FrameUpdate, streaming: boolean): void =>
      queueMicrotask(() => watches.get(watch)?.(update, streaming));
    return {
      write: (chunk, done) => {
        try {
          screen.write(chunk, done);
        } catch (error) {
          // A pane whose output makes the emulator throw gets an empty screen, not the server's crash.
          lostNote = screenLostNote(`its emulator failed: ${(error as Error).message}`);
          screen = new PaneScreen(options);
          for (const listener of replies) screen.onReply(listener);
          done();
        }
        wants.changed(screen, sendFrame);
      },
      // Parsed on this thread: nothing else waits behind a backlog, so flow control keeps its widest bound.
      backlogBytes: () => MAX_BACKLOG_BYTES,
      onReply: (listener) => {
        replies.push(listener);
        screen.onReply(listener);
      },
      snapshot: async () => screen.snapshot(),
      frame: async () => screen.frame(),
      state: async () => screen.state(),
      scrollback: async (lines) => screen.renderScrollback(lines),
      markScreenTop: async (overlap) => screen.markScreenTop(overlap),
      renderFrom: async (mark, overlap, withCursorTail) => screen.renderFrom(mark, overlap, withCursorTail),
      search: async (mark, overlap, query, excerpt) =>
        screen.search(
          mark,
          overlap,
          this.queries.get(query),
          excerpt ? this.queries.locator(query) : undefined,
        ),
      markSince: async () => screen.markSince(),
      releaseSince: async (id) => screen.releaseSince(id),
      resize: async (cols, rows) => {
        options = { ...options, cols, rows };
        screen.resize(cols, rows);
        wants.changed(screen, sendFrame);
      },
      compact: async () => screen.compact(),
      watchFrames: (listener) => {
        const watch = nextWatch++;
        watches.set(watch, listener);
        wants.add(watch);
        return {
          want: (spaced = false) => wants.want(watch, spaced, screen, sendFrame),
          close: () => {
            watches.delete(watch);
            wants.remove(watch);
          },
        };
      },
      // Parsed as written: a read never waits behind a backlog, and there is none to drop.
      behindBytes: 0,
      discardBacklog: () => {},
      get lostNote() {
        return lostNote;
      },
      dispose: () => screen.dispose(),
    };
  }

  async close(): Promise<void> {}
}
