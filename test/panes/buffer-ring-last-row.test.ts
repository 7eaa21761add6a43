import { afterEach, expect, it } from "vitest";
import { PaneScreen } from "../../src/panes/pane-screen.js";

// xterm keeps a buffer's rows in a ring and its getLine does not check the index: in a full ring (the alternate
// screen always, an exited pane's compacted screen, a live one after 256 rows of scrollback) the row after the
// last is the oldest. When that one continued a wrapped line, the bottom row read as wrapped into it: `new`
// reads and wait_for returned the cursor's row with blanks to the right edge.
const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

it("the bottom row of a full ring whose oldest row continues a wrapped line reads up to the cursor", () => {
  for (const bypass of [true, false]) {
    const screen = new PaneScreen({ cols: 8, rows: 2, scrollback: 100, plainBypass: bypass });
    screens.push(screen);
    // "1234567890AB" wraps; the line feed scrolls its first row off: the top row now continues it.
    screen.write(Buffer.from("1234567890AB\r\n$ "), () => {});
    const top = screen.markScreenTop();
    const before = screen.renderFrom(top).text;
    expect(before).toBe("90AB\n$ ");
    screen.compact(); // the pane exited: the emulator keeps its screen's rows only, a full ring
    expect(screen.renderFrom(top).text).toBe(before);
    expect(screen.renderScrollback()).toBe("1234567890AB\n$ ");
  }
});
