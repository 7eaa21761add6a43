import { PaneScreen } from "./pane-screen.js";
import type { ScreenFactory, ScreenOptions, ScreenPort } from "./screen-port.js";
import { QueryCache } from "./text-query.js";

/** Screens parsed on the calling thread: for tests and as the fallback when no screen thread can start. */
export class LocalScreens implements ScreenFactory {
  private readonly queries = new QueryCache();

  create(options: ScreenOptions): ScreenPort {
    const screen = new PaneScreen(options);
    return {
      write: (chunk, done) => screen.write(chunk, done),
      onReply: (listener) => screen.onReply(listener),
      snapshot: async () => screen.snapshot(),
      state: async () => screen.state(),
      scrollback: async (lines) => screen.renderScrollback(lines),
      markScreenTop: async (overlap) => screen.markScreenTop(overlap),
      renderFrom: async (mark, overlap) => screen.renderFrom(mark, overlap),
      search: async (mark, overlap, query) => screen.search(mark, overlap, this.queries.get(query)),
      dispose: () => screen.dispose(),
    };
  }

  async close(): Promise<void> {}
}
