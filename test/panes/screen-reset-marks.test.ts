import { afterEach, describe, expect, it } from "vitest";
import { PaneScreen } from "../../src/panes/pane-screen.js";

const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

function screen(scrollback = 1000, cols = 80, rows = 24): PaneScreen {
  const s = new PaneScreen({ cols, rows, scrollback });
  screens.push(s);
  return s;
}

function feed(s: PaneScreen, text: string): Promise<void> {
  return new Promise((resolve) => s.write(Buffer.from(text), resolve));
}

/** What wait_for does: mark the screen top, then search the text from the mark. */
function seenFrom(s: PaneScreen, needle: string): boolean {
  const mark = s.markScreenTop();
  return s.search(mark, 8, (text) => text.includes(needle)).matched;
}

describe("wait marks after the emulator's buffers are reset or cleared", () => {
  const resets: [string, string][] = [
    ["RIS (ESC c)", "\x1bc"],
    ["ESC[3J (erase scrollback)", "\x1b[3J"],
    ["ESC[H ESC[2J ESC[3J", "\x1b[H\x1b[2J\x1b[3J"],
    ["alternate screen on and off", "\x1b[?1049h\x1b[?1049l"],
  ];
  for (const [name, sequence] of resets) {
    it(`a long wrapped line then ${name}: later output is still found from a fresh mark`, async () => {
      const s = screen();
      await feed(s, "x".repeat(200_000));
      await feed(s, `${sequence}\r\ndone\r\n`);
      await feed(s, "fin-42\r\n");
      expect(s.renderScreen()).toContain("fin-42");
      expect(seenFrom(s, "fin-42")).toBe(true);
      await feed(s, "later-7\r\n");
      expect(seenFrom(s, "later-7")).toBe(true);
      // and a mark taken before more output sees it
      const mark = s.markScreenTop();
      await feed(s, "next-9\r\n");
      expect(s.search(mark, 8, (text) => text.includes("next-9")).matched).toBe(true);
    });
  }

  it("a mark taken before RIS (a wait in flight) sees the screen it was on and everything after the reset", async () => {
    const s = screen();
    await feed(s, `${"y".repeat(50_000)}\r\nbefore-1\r\n`);
    const mark = s.markScreenTop();
    await feed(s, "\x1bcafter-2\r\n");
    const text = s.renderFrom(mark).text;
    expect(text).toContain("before-1");
    expect(text).toContain("after-2");
    expect(text.indexOf("before-1")).toBeLessThan(text.indexOf("after-2"));
  });

  it("RIS on the alternate screen, and a flood of RIS, leave marks working", async () => {
    const s = screen();
    await feed(s, `${"z".repeat(30_000)}\x1b[?1049hfull-screen\x1bc`);
    expect(seenFrom(s, "")).toBe(true);
    await feed(s, `${"\x1bc".repeat(5000)}tail-3\r\n`);
    expect(seenFrom(s, "tail-3")).toBe(true);
    await feed(s, "x".repeat(100_000));
    await feed(s, "\x1b[8;30;100t\r\nresized-4\r\n");
    expect(seenFrom(s, "resized-4")).toBe(true);
  });
});
