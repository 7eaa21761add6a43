import { afterEach, describe, expect, it } from "vitest";
import { type HistoryMark, PaneScreen } from "../../src/panes/pane-screen.js";

const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

function screen(cols = 40, rows = 6, scrollback = 1000): PaneScreen {
  const s = new PaneScreen({ cols, rows, scrollback });
  screens.push(s);
  return s;
}

function feed(s: PaneScreen, text: string): Promise<void> {
  return new Promise((resolve) => s.write(Buffer.from(text), resolve));
}

/** What read_pane {mode: "new"} does: read from the reader's place, move the place to the cursor's row. */
function reader(s: PaneScreen): () => string {
  let mark: HistoryMark | undefined = { row: 0 };
  return () => {
    const read = s.renderFrom(mark);
    mark = read.cursor ?? mark;
    return read.text;
  };
}

const lines = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}\r\n`).join("");

describe("a screen clear keeps every line for new reads (issue 10, item 5)", () => {
  const clears: [string, string][] = [
    ["ESC[H ESC[2J (clear, Ctrl-L)", "\x1b[H\x1b[2J"],
    ["ESC[2J ESC[H", "\x1b[2J\x1b[H"],
    ["ESC[H ESC[2J ESC[3J (clear with E3)", "\x1b[H\x1b[2J\x1b[3J"],
    ["ESC[H ESC[J (erase below, from the corner)", "\x1b[H\x1b[J"],
    ["RIS (ESC c)", "\x1bc"],
  ];
  for (const [name, clear] of clears) {
    it(`${name}: three lines, clear, AFTER-1..3, eight more: each line once, in order`, async () => {
      const s = screen();
      const read = reader(s);
      await feed(s, lines("BEFORE", 3));
      expect(read()).toBe("BEFORE-1\nBEFORE-2\nBEFORE-3");
      await feed(s, `${clear}${lines("AFTER", 3)}`);
      expect(read()).toBe("AFTER-1\nAFTER-2\nAFTER-3");
      await feed(s, lines("MORE", 8));
      expect(read()).toBe(Array.from({ length: 8 }, (_, i) => `MORE-${i + 1}`).join("\n"));
      expect(s.renderScrollback()).not.toContain("lost");
      expect(s.renderScrollback().split("\n").slice(0, 4)).toEqual([
        "BEFORE-1",
        "BEFORE-2",
        "BEFORE-3",
        "AFTER-1",
      ]);
    });
  }

  it("a blank line before the clear, and a cursor left lower down, do not make the reader skip AFTER-1", async () => {
    const s = screen();
    const read = reader(s);
    await feed(s, `${lines("BEFORE", 2)}\r\n\x1b[2B`);
    read();
    await feed(s, `\x1b[H\x1b[2J${lines("AFTER", 2)}`);
    expect(read()).toBe("AFTER-1\nAFTER-2");
  });

  it("the clear itself erases the screen: only the new text is visible", async () => {
    const s = screen();
    await feed(s, `${lines("BEFORE", 3)}\x1b[H\x1b[2JAFTER-1`);
    expect(s.renderScreen()).toBe("AFTER-1");
    expect(s.cursor).toEqual({ row: 0, col: 7 });
  });

  it("a clear inside a scroll region erases the whole screen and keeps the region", async () => {
    const s = screen(40, 6);
    await feed(s, "status\r\n\x1b[2;6r\x1b[2;1Ha\r\nb\r\n\x1b[H\x1b[2J");
    expect(s.renderScreen()).toBe("");
    // the region is still rows 2-6: seven lines from row 2 scroll inside it, the top row stays
    await feed(s, `top\x1b[2;1H${lines("R", 7)}`);
    expect(s.renderScreen().split("\n")[0]).toBe("top");
  });
});

describe("a prompt that ends in a space reads as printed (issue 10, item 3)", () => {
  for (const prompt of [">>> ", "Continue? [y/N] ", "bash-5.2# ", "$  "]) {
    it(`${JSON.stringify(prompt)}`, async () => {
      const s = screen();
      await feed(s, `hello\r\n${prompt}`);
      expect(s.renderScreen()).toBe(`hello\n${prompt}`);
      expect(s.renderFrom({ row: 0 }).text).toBe(`hello\n${prompt}`);
      expect(s.search({ row: 0 }, 0, (text) => text.endsWith(prompt)).matched).toBe(true);
    });
  }

  it("a gap made by moving the cursor (CUF) is part of the row up to the cursor", async () => {
    const s = screen();
    await feed(s, ">>>\x1b[C");
    expect(s.renderScreen()).toBe(">>> ");
  });

  it("blanks after the cursor and empty rows below it are still dropped", async () => {
    const s = screen();
    await feed(s, "abc\x1b[10C\r\x1b[2C\r\n\r\n");
    expect(s.renderScreen()).toBe("abc");
    await feed(s, "x\x1b[5D");
    expect(s.renderScreen()).toBe("abc\n\nx");
  });
});
