import { PaneScreen } from "./pane-screen.js";
import type { ScreenFactory, ScreenOptions, ScreenPort } from "./screen-port.js";

/** Screens parsed on the calling thread: for tests and as the fallback when no screen thread can start. */
export class LocalScreens implements ScreenFactory {
  create(options: ScreenOptions): ScreenPort {
    const screen = new PaneScreen(options);
    return {
      write: (chunk, done) => screen.write(chunk, done),
      onReply: (listener) => screen.onReply(listener),
      resize: (cols, rows) => screen.resize(cols, rows),
      snapshot: async () => screen.snapshot(),
      scrollback: async (lines) => screen.renderScrollback(lines),
      markScreenTop: async (overlap) => screen.markScreenTop(overlap),
      renderFrom: async (mark, overlap) => screen.renderFrom(mark, overlap),
      dispose: () => screen.dispose(),
    };
  }

  async close(): Promise<void> {}
}
