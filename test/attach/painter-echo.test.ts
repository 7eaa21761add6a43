import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { FramePainter } from "../../src/cli/attach/frame-painter.js";
import { type EchoDraw, echoRows, type FrameStyle } from "../../src/panes/frame-echo.js";
import { applyFrameRows, type FrameRun, type PaneFrame } from "../../src/panes/screen-frame.js";
import { disposePersonTerminals, personTerminal } from "../support/outer-terminal.js";

// An echo drawn alone (FramePainter.echo, issue 13): a keystroke's echo goes to the person's terminal as its text,
// ahead of the frame's paint, which must then leave the terminal as a full paint of the frame would.

afterEach(disposePersonTerminals);

function frameOf(
  cols: number,
  rows: number,
  texts: string[],
  cursor: { row: number; col: number },
): PaneFrame {
  const lines = Array.from({ length: rows }, (_, row) => {
    const text = texts[row] ?? "";
    return text === "" ? [] : [[text, -1, -1, 0] as FrameRun];
  });
  return { cols, rows, lines, cursor, cursorVisible: true, alternate: false };
}

/** The frame after `text` is echoed at its cursor in `pen` (as the pty-reading thread draws it), and the draw. */
function echoed(frame: PaneFrame, text: string, pen: FrameStyle): { next: PaneFrame; draw: EchoDraw } {
  const rows = echoRows(frame, pen, text);
  const next = rows && applyFrameRows(frame, rows);
  if (next === undefined) throw new Error("not an echo the emulator draws at the cursor");
  return { next, draw: { at: { ...frame.cursor }, text, pen } };
}

const ESC = "\\u001b";
/** `x`, alone or between an SGR of validated parameters and SGR 0. */
const VALIDATED_SGR_AROUND_X = new RegExp(
  `^(?:${ESC}\\[0(?:;(?:[1-57]|9|53|3[0-7]|9[0-7]|4[0-7]|10[0-7]|[34]8;5;\\d{1,3}|[34]8;2;\\d{1,3};\\d{1,3};\\d{1,3}))*m)?x(?:${ESC}\\[0m)?$`,
  "u",
);
const DEFAULT_PEN: FrameStyle = [-1, -1, 0];
const VIEW = { cols: 20, rows: 5 };

describe("an echo drawn alone", () => {
  it("is its text, and the paint after it writes nothing: a keystroke costs a few bytes", async () => {
    const term = await personTerminal(VIEW.cols, VIEW.rows);
    const painter = new FramePainter();
    let frame = frameOf(20, 4, ["$ ", "", "", ""], { row: 0, col: 2 });
    await term.write(painter.paint(frame, VIEW, "status"));
    for (const key of ["l", "s", " "]) {
      const { next, draw } = echoed(frame, key, DEFAULT_PEN);
      expect(painter.echo(next, VIEW, draw)).toBe(key);
      await term.write(key);
      expect(painter.paint(next, VIEW, "status")).toBe("");
      frame = next;
    }
    expect(term.screen()[0]).toBe("$ ls");
    expect(term.cursor()).toEqual({ row: 0, col: 5 });
  });

  it("echoes one after another need no paint between them, and the screen thread's copy of them paints nothing", async () => {
    const term = await personTerminal(VIEW.cols, VIEW.rows);
    const painter = new FramePainter();
    let frame = frameOf(20, 4, ["$ ", "", "", ""], { row: 0, col: 2 });
    await term.write(painter.paint(frame, VIEW, "status"));
    for (const key of ["e", "c", "h", "o"]) {
      const { next, draw } = echoed(frame, key, DEFAULT_PEN);
      expect(painter.echo(next, VIEW, draw)).toBe(key);
      await term.write(key);
      frame = next;
    }
    const confirmed = { ...frame, lines: structuredClone(frame.lines) };
    expect(painter.paint(confirmed, VIEW, "status")).toBe("");
    // A change to the echoed row after the echoes is drawn (the row differs from what the echoes left).
    const changed = frameOf(20, 4, ["$ echo!", "", "", ""], { row: 0, col: 7 });
    await term.write(painter.paint(changed, VIEW, "status"));
    expect(term.screen()[0]).toBe("$ echo!");
    expect(term.cursor()).toEqual({ row: 0, col: 7 });
  });

  it("in a pen other than the default, is wrapped in its SGR and a reset", () => {
    const painter = new FramePainter();
    const frame = frameOf(20, 4, ["$ "], { row: 0, col: 2 });
    painter.paint(frame, VIEW, "s");
    const { next, draw } = echoed(frame, "x", [1, -1, 1]);
    expect(painter.echo(next, VIEW, draw)).toBe("\x1b[0;1;31mx\x1b[0m");
  });

  it("is not drawn alone when the view does not show the pane as last painted", () => {
    const frame = frameOf(20, 4, ["$ "], { row: 0, col: 2 });
    const cases: Array<[string, (painter: FramePainter) => void, PaneFrame, EchoDraw, typeof VIEW]> = [];
    const { next, draw } = echoed(frame, "x", DEFAULT_PEN);
    cases.push(["the terminal was resized", () => {}, next, draw, { cols: 21, rows: 5 }]);
    cases.push(["the person panned", (painter) => painter.panBy(0, 1), next, draw, VIEW]);
    cases.push(["the cursor is elsewhere", () => {}, next, { ...draw, at: { row: 0, col: 1 } }, VIEW]);
    cases.push(["the text is not printable ASCII", () => {}, next, { ...draw, text: "\x1b" }, VIEW]);
    cases.push([
      "the frame's cursor is not after the text",
      () => {},
      { ...next, cursor: { row: 1, col: 3 } },
      draw,
      VIEW,
    ]);
    for (const [why, prepare, after, echo, size] of cases) {
      const painter = new FramePainter();
      painter.paint(frame, VIEW, "s");
      prepare(painter);
      expect(painter.echo(after, size, echo), why).toBeUndefined();
    }
    // A pane taller than the view (clipped) and one that hides its cursor draw the frame, never the echo alone.
    const clipped = new FramePainter();
    const tall = frameOf(20, 8, ["$ "], { row: 0, col: 2 });
    clipped.paint(tall, VIEW, "s");
    const onTall = echoed(tall, "x", DEFAULT_PEN);
    expect(clipped.echo(onTall.next, VIEW, onTall.draw)).toBeUndefined();
    const hidden = new FramePainter();
    hidden.paint({ ...frame, cursorVisible: false }, VIEW, "s");
    expect(hidden.echo(next, VIEW, draw)).toBeUndefined();
  });

  // Security: a forged pen (the frame crosses a thread, and for a client-drawn view a socket) never reaches the
  // SGR unvalidated: only SGR 0, known attribute codes and validated colours.
  it("a forged pen (NaN, huge, negative, conceal) is drawn in validated SGR only", () => {
    for (const pen of [
      [Number.NaN, 1e300, -5],
      [256 + 1, -2, 8],
      [0x1000000 + 0xffffff + 1, 3.5, 1 << 20],
    ]) {
      const painter = new FramePainter();
      const frame = frameOf(20, 4, ["$ "], { row: 0, col: 2 });
      painter.paint(frame, VIEW, "s");
      const { next } = echoed(frame, "x", DEFAULT_PEN);
      const out =
        painter.echo(next, VIEW, { at: { row: 0, col: 2 }, text: "x", pen: pen as FrameStyle }) ?? "";
      expect(out).toMatch(VALIDATED_SGR_AROUND_X);
    }
  });

  it("echoes and other changes in any order leave the terminal as a full paint of the last frame would", async () => {
    const ascii = fc.string({ unit: fc.constantFrom("a", "b", " ", "-"), maxLength: 14 });
    const pen = fc.tuple(fc.constantFrom(-1, 2, 130), fc.constantFrom(-1, 4), fc.constantFrom(0, 1, 4));
    const step = fc.oneof(
      fc.record({
        echo: fc.string({ unit: fc.constantFrom("x", "y", " ", "~"), minLength: 1, maxLength: 3 }),
        pen,
      }),
      fc.record({ row: fc.nat(3), text: ascii }),
      fc.record({ cursor: fc.record({ row: fc.nat(3), col: fc.nat(15) }) }),
      fc.record({ status: fc.constantFrom("s", "pane 1") }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(ascii, { minLength: 4, maxLength: 4 }),
        fc.array(step, { maxLength: 12 }),
        async (texts, steps) => {
          const incremental = await personTerminal(VIEW.cols, VIEW.rows);
          const painter = new FramePainter();
          let frame = frameOf(16, 4, texts, { row: 0, col: 0 });
          let status = "s";
          let alone = 0;
          await incremental.write(painter.paint(frame, VIEW, status));
          for (const each of steps) {
            if ("echo" in each) {
              const rows = echoRows(frame, each.pen, each.echo);
              const next = rows && applyFrameRows(frame, rows);
              if (next === undefined) continue;
              const text = painter.echo(next, VIEW, {
                at: { ...frame.cursor },
                text: each.echo,
                pen: each.pen,
              });
              frame = next;
              if (text !== undefined) {
                // As TerminalView: an echo drawn alone is not followed by a paint; the next change paints.
                alone += 1;
                await incremental.write(text);
                continue;
              }
            } else if ("text" in each) {
              frame = {
                ...frame,
                lines: frame.lines.map((line, row) =>
                  row === each.row ? [[each.text, -1, -1, 0] as FrameRun] : line,
                ),
              };
            } else if ("cursor" in each) frame = { ...frame, cursor: each.cursor };
            else status = each.status;
            await incremental.write(painter.paint(frame, VIEW, status));
          }
          // The screen thread's update of the echoes: arrays of its own, the same text.
          frame = { ...frame, lines: structuredClone(frame.lines) };
          await incremental.write(painter.paint(frame, VIEW, status));
          const full = await personTerminal(VIEW.cols, VIEW.rows);
          await full.write(new FramePainter().paint(frame, VIEW, status));
          expect(incremental.screen(true)).toEqual(full.screen(true));
          expect(incremental.styles()).toEqual(full.styles());
          expect(incremental.cursor()).toEqual(full.cursor());
          disposePersonTerminals();
          return alone >= 0;
        },
      ),
      { seed: 7, numRuns: Number(process.env.CCMUX_FUZZ_RUNS ?? 80) },
    );
  });
});
