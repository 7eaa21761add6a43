import { describe, expect, it } from "vitest";
import { MAX_CELL_UNITS } from "../../src/panes/emulator-guards.js";
import { PaneScreen } from "../../src/panes/pane-screen.js";

function screenWith(text: string, cols = 120, rows = 40): { screen: PaneScreen; ms: number } {
  const screen = new PaneScreen({ cols, rows, scrollback: 1000 });
  const started = performance.now();
  screen.write(Buffer.from(text), () => {});
  return { screen, ms: performance.now() - started };
}

// Generous time bounds: the old emulator took seconds (or exhausted the heap) on every input here.
describe("the emulator's work and memory are bounded per byte of output", () => {
  it("combining-mark flood: a cell keeps at most MAX_CELL_UNITS code units", () => {
    const { screen, ms } = screenWith(`a${"\u0301".repeat(100_000)}b`);
    const text = screen.renderScreen();
    expect(text.startsWith("a\u0301")).toBe(true);
    expect(text.endsWith("b")).toBe(true);
    expect(text.length).toBeLessThanOrEqual(MAX_CELL_UNITS + 1);
    expect(ms).toBeLessThan(2000);
    screen.dispose();
  });

  it("combining marks x REP (issue 9's file): the repeat is refused, nothing is allocated for it", () => {
    const { screen, ms } = screenWith(`a${"\u0301".repeat(30_000)}\x1b[4800b`);
    expect(screen.renderScreen().length).toBeLessThanOrEqual(MAX_CELL_UNITS);
    expect(ms).toBeLessThan(2000);
    screen.dispose();
  });

  it("hyperlink flood on one row (OSC 8 with a new target each time): no link is kept, the text prints", () => {
    let flood = "";
    for (let i = 0; i < 20_000; i++)
      flood += `\x1b]8;;http://h/${i}/${"p".repeat(200)}\x1b\\x\x1b]8;;\x1b\\\r`;
    const { screen } = screenWith(`${flood}linked\r\n`);
    // Each link xterm registers keeps a marker on its row (OscLinkService): the flood left 20 000 of them.
    const term = (screen as unknown as { term: { markers: readonly unknown[] } }).term;
    expect(term.markers.length).toBeLessThan(50);
    expect(screen.renderScreen()).toBe("linked");
    screen.dispose();
  });

  it("REP of a plain character still works (vim and ncurses draw lines with it)", () => {
    const { screen } = screenWith("-\x1b[9b|\r\ne\u0301\x1b[3b");
    expect(screen.renderScreen()).toBe("----------|\ne\u0301e\u0301e\u0301e\u0301");
    screen.dispose();
  });

  it("REP costed by code units: a 32-unit cell repeated one screenful of cells is refused", () => {
    const { screen } = screenWith(`a${"\u0301".repeat(31)}\x1b[${120 * 40}b`, 120, 40);
    expect(screen.renderScreen().length).toBeLessThanOrEqual(MAX_CELL_UNITS);
    screen.dispose();
  });

  it("REP at the last column (cursor waiting to wrap) is costed by the cell it repeats", () => {
    const { screen } = screenWith(`${"x".repeat(19)}a${"\u0301".repeat(31)}\x1b[90b`, 20, 5);
    expect(screen.renderScreen().length).toBeLessThanOrEqual(19 + MAX_CELL_UNITS);
    screen.dispose();
  });

  it.each([
    ["SU", "S"],
    ["SD", "T"],
    ["IL", "L"],
    ["DL", "M"],
  ])("%s with a count of 2^31-1 is clamped to the screen's height", (_name, final) => {
    const { screen, ms } = screenWith(`top\r\n\x1b[2147483647${final}x`.repeat(20), 80, 24);
    expect(ms).toBeLessThan(2000);
    expect(screen.renderScreen()).toContain("x");
    screen.dispose();
  });

  for (const [final, start] of [
    ["Z", "\x1b[1;70H"],
    ["I", "\x1b[1;3H"],
  ] as const) {
    it(`tab moves (CSI n ${final}) of a billion cost what a screen's width of them costs, and end in the same place`, () => {
      // The reviewer's 14 bytes `ESC[999999999Z` held the screen thread (every pane) for 45 s.
      const { screen: huge, ms } = screenWith(`${start}\x1b[999999999${final}x`, 80, 5);
      const { screen: width } = screenWith(`${start}\x1b[80${final}x`, 80, 5);
      expect(huge.cursor).toEqual(width.cursor);
      expect(huge.renderScreen()).toBe(width.renderScreen());
      expect(ms).toBeLessThan(2000);
      huge.dispose();
      width.dispose();
    });
  }

  it("a scroll count above the height leaves the screen as scrolling by the height does", () => {
    const huge = screenWith("1\r\n2\r\n3\x1b[999S", 20, 5).screen;
    const height = screenWith("1\r\n2\r\n3\x1b[5S", 20, 5).screen;
    expect(huge.renderScreen()).toBe(height.renderScreen());
    huge.dispose();
    height.dispose();
  });
});
