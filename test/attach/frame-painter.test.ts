import fc from "fast-check";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { FramePainter } from "../../src/cli/attach/frame-painter.js";
import { ENTER_ATTACH, LEAVE_ATTACH } from "../../src/cli/attach/terminal-sequences.js";
import { fitViewport } from "../../src/cli/attach/viewport.js";
import type { FrameRun, PaneFrame } from "../../src/panes/screen-frame.js";
import { disposePersonTerminals, OuterTerminal, personTerminal } from "../support/outer-terminal.js";

afterEach(disposePersonTerminals);

/** A frame whose rows are `texts` in the default style (or the runs given). */
function frameOf(
  cols: number,
  rows: number,
  texts: Array<string | FrameRun[]>,
  cursor = { row: 0, col: 0 },
  cursorVisible = true,
): PaneFrame {
  const lines = texts.map((text) => (typeof text === "string" ? [[text, -1, -1, 0] as FrameRun] : text));
  return { cols, rows, lines, cursor, cursorVisible, alternate: false };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: a CUP sequence starts with ESC.
const CUP = /\x1b\[\d+;\d+H/g;

describe("what the person sees: the pane at its own size, the status line below", () => {
  it("a pane the size of the view is shown as it is, status in reverse video, cursor where the pane's is", async () => {
    const term = await personTerminal(20, 5);
    const frame = frameOf(20, 4, ["$ echo hi", "hi", "$ "], { row: 2, col: 2 });
    await term.write(new FramePainter().paint(frame, { cols: 20, rows: 5 }, "build: bash (agent)"));
    expect(term.screen()).toEqual(["$ echo hi", "hi", "$", "", "build: bash (agent)"]);
    expect(term.cell(4, 0).inverse).toBe(true);
    expect(term.cell(4, 19).inverse).toBe(true);
    expect(term.cell(0, 0).inverse).toBe(false);
    expect(term.cursor()).toEqual({ row: 2, col: 2 });
    expect(term.cursorShown).toBe(true);
  });

  it("colours and attributes of runs are drawn (bold red, 256-colour and RGB backgrounds)", async () => {
    const term = await personTerminal(20, 3);
    const line: FrameRun[] = [
      ["err", 1, -1, 1],
      [" ", -1, -1, 0],
      ["x", -1, 196, 8],
      ["y", 0x1000000 + 0x102030, 0x1000000 + 0xa0b0c0, 32],
    ];
    await term.write(new FramePainter().paint(frameOf(20, 2, [line]), { cols: 20, rows: 3 }, ""));
    const buffer = term.term.buffer.active;
    const err = buffer.getLine(0)?.getCell(0);
    expect([err?.getChars(), err?.isBold() !== 0, err?.getFgColor(), err?.isFgPalette()]).toEqual([
      "e",
      true,
      1,
      true,
    ]);
    const x = buffer.getLine(0)?.getCell(4);
    expect([x?.getChars(), x?.getBgColor(), x?.isUnderline() !== 0]).toEqual(["x", 196, true]);
    const y = buffer.getLine(0)?.getCell(5);
    expect([y?.getFgColor(), y?.getBgColor(), y?.isFgRGB(), y?.isInverse() !== 0]).toEqual([
      0x102030,
      0xa0b0c0,
      true,
      true,
    ]);
  });

  it("a pane larger than the view is clipped: a dim > on cut rows, the view follows the cursor down, the status says so", async () => {
    const term = await personTerminal(50, 5);
    const texts = Array.from({ length: 8 }, (_, i) => `row${i} ${"abcdefghij".repeat(6)}`);
    texts[4] = "short";
    const frame = frameOf(80, 8, texts, { row: 6, col: 3 });
    await term.write(new FramePainter().paint(frame, { cols: 50, rows: 5 }, "web: npm"));
    const cut = (i: number) => `${texts[i]?.slice(0, 49)}>`;
    expect(term.screen()).toEqual([
      cut(3),
      "short",
      cut(5),
      cut(6),
      `web: npm${" ".repeat(20)}[pane 80x8, view 50x4]`,
    ]);
    expect(term.cell(0, 49).dim).toBe(true);
    expect(term.cursor()).toEqual({ row: 3, col: 3 });
    expect(fitViewport(frame, { cols: 50, rows: 5 }).notice).toBe("[pane 80x8, view 50x4]");
  });

  it("a pane wider than the view pans right to keep the cursor in view, with a dim < on rows cut on the left", async () => {
    const term = await personTerminal(30, 5);
    const digits = "0123456789".repeat(8);
    const frame = frameOf(80, 4, ["x".repeat(80), digits, "hi", "中".repeat(40)], { row: 1, col: 50 });
    await term.write(new FramePainter().paint(frame, { cols: 30, rows: 5 }, ""));
    // The cursor lands one column before the > marker: pane columns 22 to 51 are shown.
    expect(fitViewport(frame, { cols: 30, rows: 5 }).left).toBe(22);
    expect(term.screen().slice(0, 4)).toEqual([
      `<${"x".repeat(28)}>`,
      `<${digits.slice(23, 51)}>`,
      "<",
      `< ${"中".repeat(13)} >`,
    ]);
    expect(term.cell(0, 0).dim).toBe(true);
    expect(term.cursor()).toEqual({ row: 1, col: 28 });
    expect(term.cell(1, 28).chars).toBe(digits[50]);
  });

  it("the view stays panned while the pane hides its cursor, and pans only as far as the cursor moves", async () => {
    const term = await personTerminal(20, 4);
    const painter = new FramePainter();
    const texts = Array.from({ length: 10 }, (_, i) => `line ${i}`);
    const paint = async (row: number, visible: boolean) => {
      await term.write(
        painter.paint(frameOf(20, 10, texts, { row, col: 0 }, visible), { cols: 20, rows: 4 }, ""),
      );
      return term.screen().slice(0, 3);
    };
    expect(await paint(9, true)).toEqual(["line 7", "line 8", "line 9"]);
    // A program redrawing with its cursor hidden (vim, top) moves it anywhere: the view does not jump.
    expect(await paint(0, false)).toEqual(["line 7", "line 8", "line 9"]);
    expect(await paint(8, true)).toEqual(["line 7", "line 8", "line 9"]);
    expect(await paint(2, true)).toEqual(["line 2", "line 3", "line 4"]);
  });

  it("on a narrow terminal the clipping notice shrinks so the status keeps half the row", async () => {
    const term = await personTerminal(24, 3);
    await term.write(
      new FramePainter().paint(frameOf(80, 2, ["x"]), { cols: 24, rows: 3 }, "a long pane name"),
    );
    expect(term.screen()[2]).toBe("a long pane na [clipped]");
  });

  it("a pane smaller than the view is padded with a dim · fill, right and below", async () => {
    const term = await personTerminal(16, 5);
    const frame = frameOf(10, 2, ["hello", "0123456789"], { row: 0, col: 5 });
    await term.write(new FramePainter().paint(frame, { cols: 16, rows: 5 }, "s"));
    expect(term.screen()).toEqual([
      "hello     ······",
      "0123456789······",
      "················",
      "················",
      "s",
    ]);
    expect(term.cell(0, 10).dim).toBe(true);
    expect(term.cell(0, 4).dim).toBe(false);
    expect(term.cursor()).toEqual({ row: 0, col: 5 });
  });

  it("a hidden pane cursor, or one off the pane, hides the person's cursor", async () => {
    const term = await personTerminal(10, 3);
    const painter = new FramePainter();
    await term.write(
      painter.paint(frameOf(10, 2, ["a"], { row: 1, col: 1 }, false), { cols: 10, rows: 3 }, ""),
    );
    expect(term.cursorShown).toBe(false);
    await term.write(painter.paint(frameOf(10, 2, ["a"], { row: 1, col: 1 }), { cols: 10, rows: 3 }, ""));
    expect(term.cursorShown).toBe(true);
    // A cursor past the pane's last row (a forged frame) is nowhere to be shown.
    await term.write(painter.paint(frameOf(10, 2, ["a"], { row: 7, col: 1 }), { cols: 10, rows: 3 }, ""));
    expect(term.cursorShown).toBe(false);
  });
});

describe("wide characters", () => {
  it("CJK and emoji rows land on the pane's columns", async () => {
    const term = await personTerminal(12, 4);
    const frame = frameOf(12, 3, ["中文abc", "😀x👍y", "e\u0301z"]);
    await term.write(new FramePainter().paint(frame, { cols: 12, rows: 4 }, "状态"));
    expect(term.screen()).toEqual(["中文abc", "😀x👍y", "e\u0301z", "状态"]);
    expect([term.cell(0, 0).width, term.cell(0, 2).chars, term.cell(0, 4).chars]).toEqual([2, "文", "a"]);
    expect([term.cell(1, 2).chars, term.cell(1, 3).chars, term.cell(1, 5).chars]).toEqual(["x", "👍", "y"]);
    expect(term.cell(2, 1).chars).toBe("z");
  });

  it("a wide character cut by the view's edge becomes a blank before the > marker", async () => {
    const term = await personTerminal(7, 2);
    await term.write(new FramePainter().paint(frameOf(20, 1, ["abcde中文"]), { cols: 7, rows: 2 }, ""));
    expect(term.screen(true)[0]).toBe("abcde >");
  });

  it("a wide character cut by the status line's edge becomes a blank", async () => {
    const term = await personTerminal(5, 2);
    await term.write(new FramePainter().paint(frameOf(5, 1, ["x"]), { cols: 5, rows: 2 }, "ab中文"));
    expect(term.screen(true)[1]).toBe("ab中 ");
  });

  it("a terminal that counts 😀 as one column still shows the rest of the row at the pane's columns", async () => {
    // xterm.js's default Unicode 6 widths give 😀 one column: without re-positioning, x would land in col 1.
    const term = await personTerminal(10, 2, false);
    await term.write(new FramePainter().paint(frameOf(10, 1, ["😀x中y"]), { cols: 10, rows: 2 }, ""));
    expect([term.cell(0, 2).chars, term.cell(0, 5).chars]).toEqual(["x", "y"]);
  });
});

describe("repaints write only what changed", () => {
  const size = { cols: 20, rows: 5 };
  const size12 = { cols: 12, rows: 5 };
  const before = ["$ make", "building...", "", ""];

  it("a second paint after one row changed rewrites only that row, then the cursor", async () => {
    const term = await personTerminal(20, 5);
    const painter = new FramePainter();
    const first = painter.paint(frameOf(20, 4, before, { row: 2, col: 0 }), size, "s");
    await term.write(first);
    const after = ["$ make", "done", "", ""];
    const second = painter.paint(frameOf(20, 4, after, { row: 2, col: 0 }), size, "s");
    await term.write(second);
    expect(term.screen()).toEqual(["$ make", "done", "", "", "s"]);
    expect(second.match(CUP)).toEqual(["\x1b[2;1H", "\x1b[3;1H"]);
    expect(second).not.toContain("make");
    expect(second.length).toBeLessThan(40);
    expect(first.match(CUP)?.length).toBe(6);
  });

  it("an unchanged frame paints nothing; a moved cursor paints only the cursor", () => {
    const painter = new FramePainter();
    painter.paint(frameOf(20, 4, before, { row: 2, col: 0 }), size, "s");
    expect(painter.paint(frameOf(20, 4, before, { row: 2, col: 0 }), size, "s")).toBe("");
    expect(painter.paint(frameOf(20, 4, before, { row: 1, col: 4 }), size, "s")).toBe("\x1b[2;5H");
    expect(painter.paint(frameOf(20, 4, before, { row: 1, col: 4 }), size, "t")).toBe(
      "\x1b[?25l\x1b[5;1H\x1b[0m\x1b[K\x1b[0;7mt                   \x1b[0m\x1b[2;5H\x1b[?25h",
    );
  });

  it("incremental repaints leave the person's screen as a full paint of the last frame would", async () => {
    const text = fc.string({
      unit: fc.constantFrom("a", "b", " ", "中", "😀", "e\u0301", "─"),
      maxLength: 8,
    });
    const run = fc.tuple(
      text,
      fc.constantFrom(-1, 1, 200),
      fc.constantFrom(-1, 4),
      fc.constantFrom(0, 1, 32),
    );
    const line = fc.array(run, { maxLength: 3 });
    const base = fc.record({
      cols: fc.constantFrom(4, 12, 16, 30),
      rows: fc.constantFrom(3, 4, 6),
      lines: fc.array(line, { maxLength: 6 }),
    });
    // Each step changes one thing, as a live pane does: a row, the cursor, or the status line.
    const change = fc.oneof(
      fc.record({ row: fc.integer({ min: 0, max: 5 }), line }),
      fc.record({ cursor: fc.record({ row: fc.nat(5), col: fc.nat(30) }), visible: fc.boolean() }),
      fc.record({ status: fc.constantFrom("s", "pane 1", "中文状态") }),
    );
    await fc.assert(
      fc.asyncProperty(base, fc.array(change, { minLength: 1, maxLength: 6 }), async (start, changes) => {
        const incremental = await personTerminal(12, 5);
        const painter = new FramePainter();
        // The reference paints the same frames from scratch each time (it pans the same way).
        const reference = new FramePainter();
        const frame: PaneFrame = {
          ...start,
          cursor: { row: 0, col: 0 },
          cursorVisible: true,
          alternate: false,
        };
        let status = "s";
        await incremental.write(painter.paint(frame, size12, status));
        reference.paint(frame, size12, status);
        for (const step of changes) {
          if ("line" in step) frame.lines[step.row] = step.line;
          else if ("cursor" in step) [frame.cursor, frame.cursorVisible] = [step.cursor, step.visible];
          else status = step.status;
          await incremental.write(painter.paint(frame, size12, status));
          reference.invalidate();
          reference.paint(frame, size12, status);
        }
        const full = await personTerminal(12, 5);
        reference.invalidate();
        await full.write(reference.paint(frame, size12, status));
        expect(incremental.screen(true)).toEqual(full.screen(true));
        expect(incremental.cursorShown).toBe(full.cursorShown);
        if (full.cursorShown) expect(incremental.cursor()).toEqual(full.cursor());
        disposePersonTerminals();
      }),
      { seed: 42, numRuns: Number(process.env.CCMUX_FUZZ_RUNS ?? 60) },
    );
  });

  it("invalidate() and a new terminal size repaint everything from a cleared screen", async () => {
    const painter = new FramePainter();
    const frame = frameOf(20, 4, before, { row: 2, col: 0 });
    painter.paint(frame, size, "s");
    painter.invalidate();
    const full = painter.paint(frame, size, "s");
    expect(full.startsWith("\x1b[?25l\x1b[0m\x1b[2J")).toBe(true);
    expect(full.match(CUP)?.length).toBe(6);
    const term = await personTerminal(30, 6);
    await term.write("garbage everywhere\r\nmore garbage");
    const resized = painter.paint(frame, { cols: 30, rows: 6 }, "s");
    await term.write(resized);
    expect(resized).toContain("\x1b[2J");
    expect(term.screen()).toEqual([
      `$ make${" ".repeat(14)}${"·".repeat(10)}`,
      `building...${" ".repeat(9)}${"·".repeat(10)}`,
      `${" ".repeat(20)}${"·".repeat(10)}`,
      `${" ".repeat(20)}${"·".repeat(10)}`,
      "·".repeat(30),
      "s",
    ]);
  });
});

describe("taking over and giving back the person's terminal", () => {
  it("enter switches to the alternate screen, clears it and hides the cursor; leave restores the shell's screen", async () => {
    const term = new OuterTerminal(20, 3);
    onTestFinished(() => term.dispose());
    await term.write("shell prompt $ ");
    await term.write(ENTER_ATTACH);
    expect(term.term.buffer.active.type).toBe("alternate");
    expect(term.screen()).toEqual(["", "", ""]);
    expect(term.cursorShown).toBe(false);
    expect(term.term.modes.wraparoundMode).toBe(false);
    await term.write(new FramePainter().paint(frameOf(20, 2, ["pane"]), { cols: 20, rows: 3 }, "s"));
    await term.write(LEAVE_ATTACH);
    expect(term.term.buffer.active.type).toBe("normal");
    expect(term.screen()[0]).toBe("shell prompt $");
    expect(term.cursorShown).toBe(true);
    expect(term.term.modes.wraparoundMode).toBe(true);
  });
});
