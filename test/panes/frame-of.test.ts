import xtermHeadless from "@xterm/headless";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { cursorHidden } from "../../src/panes/cursor-visibility.js";
import { frameOf } from "../../src/panes/frame-of.js";
import { PaneScreen } from "../../src/panes/pane-screen.js";
import { sanitizeText } from "../../src/panes/sanitize.js";
import { ATTR, DEFAULT_COLOR, type PaneFrame, RGB_COLOR } from "../../src/panes/screen-frame.js";
import { FORBIDDEN_IN_OUTPUT } from "../support/forbidden-output.js";

const { Terminal } = xtermHeadless;
const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 200);
const D = DEFAULT_COLOR;

const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

/** A pane's screen (the emulator ccmux runs, with its widths and guards) fed `bytes`. */
function screenOf(bytes: string, cols = 40, rows = 6): PaneScreen {
  const screen = new PaneScreen({ cols, rows, scrollback: 100 });
  screens.push(screen);
  screen.write(Buffer.from(bytes), () => {});
  return screen;
}

function rowTexts(frame: PaneFrame): string[] {
  return frame.lines.map((runs) => runs.map(([text]) => text).join(""));
}

/** What read_pane shows of the screen, row by row: renderScreen, sanitized, one entry per screen row. */
function readRows(screen: PaneScreen): string[] {
  const rows = sanitizeText(screen.renderScreen()).split("\n");
  return Array.from({ length: screen.rows }, (_, i) => rows[i] ?? "");
}

const trimmed = (row: string): string => row.replace(/ +$/u, "");

/** The property the painter relies on: each frame row reads as read_pane's row (trailing blanks aside). */
function expectRowsMatchRead(screen: PaneScreen, frame = screen.frame()): void {
  expect(rowTexts(frame).map(trimmed)).toEqual(readRows(screen).map(trimmed));
}

describe("frameOf: a pane's screen as styled runs", () => {
  it("colours and attributes become runs; consecutive cells of one style are one run", () => {
    const screen = screenOf(
      "\x1b[31mred\x1b[0m plain \x1b[1;4;38;2;1;2;3;48;5;200mx\x1b[0m\r\n" +
        "\x1b[1mb\x1b[0m\x1b[2md\x1b[0m\x1b[3mi\x1b[0m\x1b[4mu\x1b[0m\x1b[5mk\x1b[0m\x1b[7mv\x1b[0m\x1b[9ms\x1b[0m\x1b[53mo\x1b[0m" +
        "\x1b[38;5;9;48;2;255;255;255mw\x1b[0m",
    );
    const frame = screen.frame();
    expect(frame.lines[0]).toEqual([
      ["red", 1, D, 0],
      [" plain ", D, D, 0],
      ["x", RGB_COLOR + 0x010203, 200, ATTR.bold | ATTR.underline],
    ]);
    expect(frame.lines[1]).toEqual([
      ["b", D, D, ATTR.bold],
      ["d", D, D, ATTR.dim],
      ["i", D, D, ATTR.italic],
      ["u", D, D, ATTR.underline],
      ["k", D, D, ATTR.blink],
      ["v", D, D, ATTR.inverse],
      ["s", D, D, ATTR.strike],
      ["o", D, D, ATTR.overline],
      ["w", 9, RGB_COLOR + 0xffffff, 0],
    ]);
    expect(frame.lines.slice(2)).toEqual([[], [], [], []]);
    expect(frame).toMatchObject({ cols: 40, rows: 6, cursor: { row: 1, col: 9 }, cursorVisible: true });
    expectRowsMatchRead(screen, frame);
  });

  it("a wide character is one character (its second cell is not repeated); combining marks stay with their base", () => {
    const screen = screenOf("中文\x1b[32m😀\x1b[0me\u0301!");
    expect(screen.frame().lines[0]).toEqual([
      ["中文", D, D, 0],
      ["😀", 2, D, 0],
      ["e\u0301!", D, D, 0],
    ]);
    expect(screen.frame().cursor).toEqual({ row: 0, col: 8 });
  });

  it("bidi and invisible characters show as read_pane's placeholders, never as themselves", () => {
    const screen = screenOf("a\u202Eb \x1b[31m\u200B\x1b[0mc\r\n\u200B\x1b[31m\u200C\x1b[0mz");
    const frame = screen.frame();
    expect(rowTexts(frame).slice(0, 2)).toEqual(["a⟨U+202E⟩b ⟨U+200B⟩c", "⟨U+200B U+200C⟩z"]);
    // A placeholder is drawn in the style of the cell where what it replaces begins.
    expect(frame.lines[1]).toEqual([["⟨U+200B U+200C⟩z", D, D, 0]]);
    for (const row of frame.lines) for (const [text] of row) expect(text).not.toMatch(FORBIDDEN_IN_OUTPUT);
    expectRowsMatchRead(screen, frame);
  });

  it("an emoji ZWJ sequence split across styles keeps its ZWJ, as in read_pane's text", () => {
    const screen = screenOf("\x1b[31m👨\u200D\x1b[32m👩\x1b[0m");
    expect(rowTexts(screen.frame())[0]).toBe("👨\u200D👩");
    expectRowsMatchRead(screen);
  });

  it("concealed text (SGR 8) prompt injection shows as ⟨HIDDEN×n⟩ in a visible style, as the agent reads it", () => {
    const screen = screenOf("see \x1b[8;31mIGNORE PREVIOUS\x1b[0m this\r\n\x1b[30;40mblack\x1b[0m");
    const frame = screen.frame();
    expect(frame.lines[0]).toEqual([["see ⟨HIDDEN×14⟩ this", D, D, 0]]);
    expect(frame.lines[1]).toEqual([["⟨HIDDEN×5⟩", D, D, 0]]);
    expect(JSON.stringify(frame)).not.toContain("IGNORE");
    expectRowsMatchRead(screen, frame);
  });

  it("concealed and same-colour blanks stay blank in their own colours", () => {
    const screen = screenOf("a\x1b[8;44m  \x1b[0mb\x1b[34;44m  \x1b[0mc");
    expect(screen.frame().lines[0]).toEqual([
      ["a", D, D, 0],
      ["  ", D, 4, 0],
      ["b", D, D, 0],
      ["  ", 4, 4, 0],
      ["c", D, D, 0],
    ]);
  });

  it("trailing default blanks are left out; coloured blanks (an erased line's background) are kept", () => {
    const screen = screenOf("ab   \r\n\x1b[44m\x1b[K\x1b[0m\r\n\x1b[4m  \x1b[0m", 10, 4);
    const frame = screen.frame();
    expect(frame.lines[0]).toEqual([["ab", D, D, 0]]);
    expect(frame.lines[1]).toEqual([["          ", D, 4, 0]]);
    expect(frame.lines[2]).toEqual([["  ", D, D, ATTR.underline]]);
    expect(frame.lines[3]).toEqual([]);
  });

  it("a last line ending in U+3000 or U+00A0 reads and draws as any other line", () => {
    const screen = screenOf("wide\u3000\r\nnb\u00A0", 10, 4);
    expect(readRows(screen)).toEqual(["wide\u3000", "nb\u00A0", "", ""]);
    expectRowsMatchRead(screen);
  });

  it("a trailing cell of width 0 is not text (as read_pane cuts it), unless the cursor's row reaches past it", () => {
    const screen = screenOf("\u200B\r\n\u200B\x1b[2C", 6, 3);
    expect(readRows(screen)).toEqual(["", "⟨U+200B⟩  ", ""]);
    expect(rowTexts(screen.frame())).toEqual(["", "⟨U+200B⟩", ""]);
  });

  it("tabs are the blanks they moved over", () => {
    const screen = screenOf("a\tb\x1b[33m\tc");
    expect(screen.frame().lines[0]).toEqual([
      ["a       b       ", D, D, 0],
      ["c", 3, D, 0],
    ]);
    expectRowsMatchRead(screen);
  });

  it("the cursor: position, DECTCEM hide and show, RIS; one waiting to wrap is on the last column", () => {
    const screen = screenOf("\x1b[3;5H", 10, 4);
    expect(screen.frame()).toMatchObject({ cursor: { row: 2, col: 4 }, cursorVisible: true });
    screen.write(Buffer.from("\x1b[?25l"), () => {});
    expect(screen.frame().cursorVisible).toBe(false);
    screen.write(Buffer.from("\x1b[?25h"), () => {});
    expect(screen.frame().cursorVisible).toBe(true);
    screen.write(Buffer.from("\x1b[?25l\x1bc"), () => {});
    expect(screen.frame()).toMatchObject({ cursor: { row: 0, col: 0 }, cursorVisible: true });
    screen.write(Buffer.from("0123456789"), () => {});
    expect(screen.frame().cursor).toEqual({ row: 0, col: 9 });
  });

  it("the alternate screen: flagged, drawn as it stands, and the normal screen back after", () => {
    const screen = screenOf("normal\r\n$ ", 20, 4);
    screen.write(Buffer.from("\x1b[?1049h\x1b[H\x1b[7m vim \x1b[0m\x1b[4;1H~"), () => {});
    let frame = screen.frame();
    expect(frame.alternate).toBe(true);
    expect(frame.lines).toEqual([[[" vim ", D, D, ATTR.inverse]], [], [], [["~", D, D, 0]]]);
    expectRowsMatchRead(screen, frame);
    screen.write(Buffer.from("\x1b[?1049l"), () => {});
    frame = screen.frame();
    expect(frame.alternate).toBe(false);
    expect(rowTexts(frame)).toEqual(["normal", "$", "", ""]);
    expect(frame.cursor).toEqual({ row: 1, col: 2 });
  });

  it("reads this @xterm/headless version's cursor visibility (not the fallback)", () => {
    const term = new Terminal({ cols: 10, rows: 2, allowProposedApi: true });
    expect(cursorHidden(term)).toBe(false);
    const hidden = new Promise<void>((resolve) => term.write("\x1b[?25l", resolve));
    return hidden.then(() => {
      expect(cursorHidden(term)).toBe(true);
      expect(frameOf(term).cursorVisible).toBe(false);
      term.dispose();
    });
  });

  it("each frame row reads as read_pane's row, whatever the output (property)", () => {
    const piece = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 8 }),
      fc.string({ unit: "binary", maxLength: 4 }),
      fc.constantFrom(
        "\r\n",
        "\r",
        "\t",
        "\x1b[0m",
        "\x1b[1;31m",
        "\x1b[7;42m",
        "\x1b[38;2;9;9;9;48;2;9;9;9m",
        "\x1b[8m",
        "\x1b[30;40m",
        "\x1b[4;53;9m",
        "\x1b[44m\x1b[K",
        "\x1b[2K",
        "\x1b[3G",
        "\x1b[2;5H",
        "\x1b[?1049h",
        "\x1b[?1049l",
        "\x1b[?25l",
        "\x1b[3@",
        "\x1b[2X",
        "\x1b[3b",
        "\x1b[2J",
        "\x1b[1;2r",
        "\x1bc",
        "\x1b[5S",
        "中",
        "😀",
        "👨\u200D👩",
        "e\u0301",
        "\u202E",
        "\u200B",
        "\uFE0F",
        "\u3000",
        "\u00A0",
        "\uFEFF",
        "\u{E0041}",
        "\u0600",
        " ",
        "   ",
      ),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 1, max: 6 }),
        (pieces, cols, rows) => {
          const screen = screenOf(pieces.join(""), cols, rows);
          const frame = screen.frame();
          expect(frame.lines).toHaveLength(rows);
          expectRowsMatchRead(screen, frame);
          for (const row of frame.lines) {
            for (const [i, run] of row.entries()) {
              expect(run[0]).not.toBe("");
              expect(run[0]).not.toMatch(FORBIDDEN_IN_OUTPUT);
              const before = row[i - 1];
              if (before) expect([before[1], before[2], before[3]]).not.toEqual([run[1], run[2], run[3]]);
            }
          }
          screens.pop()?.dispose();
        },
      ),
      { seed: 42, numRuns: runs },
    );
  });
});
