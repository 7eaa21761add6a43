import { afterEach, describe, expect, it } from "vitest";
import { PaneScreen } from "../../src/panes/pane-screen.js";

const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

function screen(scrollback: number, cols = 40, rows = 10): PaneScreen {
  const s = new PaneScreen({ cols, rows, scrollback });
  screens.push(s);
  return s;
}

function feed(s: PaneScreen, text: string): Promise<void> {
  return new Promise((resolve) => s.write(Buffer.from(text), resolve));
}

const numbered = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `line-${from + i}`).join("\r\n");

describe("compact history (rows that scrolled off the screen)", () => {
  it("keeps exactly `scrollback` rows of history plus the screen, oldest dropped", async () => {
    const s = screen(1000);
    await feed(s, `${numbered(1, 5000)}\r\n`);
    const lines = s.renderScrollback().split("\n");
    expect(lines.at(-1)).toBe("line-5000");
    // 1000 history rows + the screen's rows (the cursor sits on the empty last row).
    expect(lines[0]).toBe(`line-${5000 - 1000 - 9 + 1}`);
    expect(s.renderScrollback(3)).toBe("line-4998\nline-4999\nline-5000");
  });

  it("a single write that scrolls far more rows than the emulator holds loses nothing", async () => {
    const s = screen(20_000);
    await feed(s, `${numbered(1, 15_000)}\r\n`);
    const lines = s.renderScrollback().split("\n");
    expect(lines).toHaveLength(15_000);
    expect(lines[0]).toBe("line-1");
    expect(lines.some((line) => line.includes("rows were lost"))).toBe(false);
  });

  it("an exited pane's packed history reads exactly as before: wide chars, emoji, wrapped lines", async () => {
    const s = screen(3000, 20, 5);
    const lines = Array.from(
      { length: 2000 },
      (_, i) =>
        [`line-${i}`, `中文 ${i} 漢字`, `😀 ${i} 👩‍💻`, `wrapped ${i} ${"abcdefghij".repeat(5)}`, ""][i % 5],
    );
    await feed(s, `${lines.join("\r\n")}\r\n`);
    const before = s.renderScrollback();
    expect(before.split("\n")).toContain(`wrapped 1998 ${"abcdefghij".repeat(5)}`);
    s.compact(); // the pane exited
    expect(s.renderScrollback()).toBe(before);
    expect(s.renderScrollback(7)).toBe(before.split("\n").slice(-7).join("\n"));
  });

  it("joins a long line wrapped across the history/screen boundary into one logical line", async () => {
    const s = screen(100, 20, 4);
    const long = "abcdefghij".repeat(12); // 120 chars = 6 rows of 20
    await feed(s, `${long}\r\nafter`);
    const lines = s.renderScrollback().split("\n");
    expect(lines).toEqual([long, "after"]);
  });

  it("new-output marks survive rows moving into history", async () => {
    const s = screen(500);
    await feed(s, `${numbered(1, 50)}\r\n`);
    const mark = s.mark();
    await feed(s, `${numbered(51, 120)}\r\n`);
    const { text, lost } = s.renderFrom(mark);
    expect(lost).toBe(false);
    expect(text.split("\n")[0]).toBe("line-51");
    expect(text.split("\n").at(-1)).toBe("line-120");
  });

  it("a mark older than the kept history reports lost and returns what is held", async () => {
    const s = screen(100);
    await feed(s, `${numbered(1, 20)}\r\n`);
    const mark = s.mark();
    await feed(s, `${numbered(21, 400)}\r\n`);
    const { text, lost } = s.renderFrom(mark);
    expect(lost).toBe(true);
    expect(text.split("\n").at(-1)).toBe("line-400");
  });

  it("full-screen programs (alternate screen) do not pollute history", async () => {
    const s = screen(100);
    await feed(s, "before\r\n");
    await feed(s, `\x1b[?1049h${numbered(1, 30)}`);
    expect(s.renderScreen()).toContain("line-30");
    await feed(s, "\x1b[?1049lafter\r\n");
    expect(s.renderScrollback()).toBe("before\nafter");
  });
});

describe("parser cost bounds", () => {
  it("a huge REP (CSI n b) is dropped instead of costing time in proportion to n", async () => {
    const s = new PaneScreen({ cols: 40, rows: 10, scrollback: 100 });
    try {
      const started = performance.now();
      await feed(s, `a\x1b[2000000000b`.repeat(20));
      // Liveness bound, not a benchmark: unbounded, one such sequence takes about a minute.
      expect(performance.now() - started).toBeLessThan(5000);
      await feed(s, "\r\nb\x1b[3b");
      expect(s.renderScreen().split("\n").at(-1)).toBe("bbbb");
    } finally {
      s.dispose();
    }
  });
});
