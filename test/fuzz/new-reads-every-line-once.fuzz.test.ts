import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type HistoryMark, PaneScreen } from "../../src/panes/pane-screen.js";

// Issue 10, item 5: every line a program printed is returned by `new` reads exactly once, in order, whatever
// the program does to the screen. Random programs (lines, CR overwrites, unfinished lines, clears, ED 3, RIS,
// scroll regions, the alternate screen, reverse index) run against a model of the lines printed (the
// definition is PaneScreen's doc comment), with `new` reads between their steps.
const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 200);
const params = { seed: 10, numRuns: runs };

type Op =
  | { kind: "line"; text: string }
  | { kind: "partial"; text: string }
  | { kind: "overwrite"; text: string }
  | { kind: "clear"; bytes: string }
  | { kind: "eraseScrollback" }
  | { kind: "region"; status: string; lines: string[] }
  | { kind: "alternate"; on: boolean }
  | { kind: "reverseIndex"; text: string; atTop: boolean }
  | { kind: "long"; text: string; length: number }
  | { kind: "resize"; cols: number; rows: number }
  | { kind: "read" };

const word = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: word.map((text) => ({ kind: "line" as const, text })) },
  { weight: 2, arbitrary: word.map((text) => ({ kind: "partial" as const, text })) },
  { weight: 2, arbitrary: word.map((text) => ({ kind: "overwrite" as const, text })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom("\x1b[H\x1b[2J", "\x1b[2J\x1b[H", "\x1b[H\x1b[J", "\x1b[H\x1b[2J\x1b[3J", "\x1bc")
      .map((bytes) => ({ kind: "clear" as const, bytes })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "eraseScrollback" as const }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ status: word, lines: fc.array(word, { minLength: 0, maxLength: 5 }) })
      .map((r) => ({ kind: "region" as const, ...r })),
  },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: "alternate" as const, on })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ text: word, atTop: fc.boolean() })
      .map((r) => ({ kind: "reverseIndex" as const, ...r })),
  },
  // A line that wraps (up to five rows of the narrowest screen), and resizes that re-wrap them (attack review:
  // after a wider resize `new` skipped lines printed since, after a narrower one it returned read ones again).
  {
    weight: 2,
    arbitrary: fc
      .record({ text: word, length: fc.integer({ min: 25, max: 100 }) })
      .map((r) => ({ kind: "long" as const, ...r })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ cols: fc.integer({ min: 20, max: 60 }), rows: fc.integer({ min: 3, max: 10 }) })
      .map((r) => ({ kind: "resize" as const, ...r })),
  },
  { weight: 4, arbitrary: fc.constant({ kind: "read" as const }) },
);

const COLS = 30;
const ROWS = 6;

/** Drives one program; returns what the reads joined give and what the model says was printed. */
async function run(ops: Op[]): Promise<{ got: string[]; printed: string[]; lost: boolean }> {
  const screen = new PaneScreen({ cols: COLS, rows: ROWS, scrollback: 10_000 });
  const write = (text: string) => new Promise<void>((resolve) => screen.write(Buffer.from(text), resolve));
  const printed: string[] = [];
  let current = ""; // the unfinished line at the cursor (normal screen)
  let col = 0; // the cursor's column on it
  const put = (text: string) => {
    current = current.slice(0, col) + text + current.slice(col + text.length);
    col += text.length;
  };
  let alternate = false;
  let rows = ROWS; // the screen's height now (resizes change it)
  let mark: HistoryMark | undefined = { row: 0 };
  const got: string[] = [];
  let provisional = false;
  let lost = false;
  const finish = () => {
    if (current !== "") printed.push(current);
    current = "";
    col = 0;
  };
  const read = () => {
    const result = screen.renderFrom(mark);
    lost ||= result.lost;
    if (alternate) return; // a picture, not lines; the place stays
    mark = result.cursor ?? mark;
    const lines = result.text === "" ? [] : result.text.split("\n");
    if (provisional && lines.length > 0) got.pop();
    got.push(...lines);
    provisional = current !== "";
  };
  try {
    for (const step of ops) {
      switch (step.kind) {
        case "line":
          await write(`${step.text}\r\n`);
          if (!alternate) {
            put(step.text);
            finish();
          }
          break;
        case "partial":
          // words stay short of the right margin of the narrowest screen, so the cursor's line never wraps
          // (xterm does not re-wrap it, and a narrower screen would cut it)
          if (alternate || col + step.text.length + 11 >= 20) break;
          await write(step.text);
          put(step.text);
          break;
        case "overwrite":
          if (alternate) break;
          await write(`\r${step.text}`);
          col = 0;
          put(step.text);
          break;
        case "clear":
          if (alternate) break;
          await write(step.bytes);
          finish();
          break;
        case "eraseScrollback":
          await write("\x1b[3J");
          break;
        case "region": {
          if (alternate) break;
          // A status line on top, a region below it that scrolls (lines leave it at its top), then the region
          // reset with the cursor kept on the blank row after the last line.
          const lines = [...step.lines, ...Array.from({ length: rows - 1 }, (_, i) => `r${i}`)];
          await write(
            `\x1b[H\x1b[2J${step.status}\x1b[2;${rows}r\x1b[2;1H${lines.map((l) => `${l}\r\n`).join("")}\x1b7\x1b[r\x1b8`,
          );
          finish();
          const scrolled = lines.length - (rows - 2);
          printed.push(...lines.slice(0, scrolled), step.status, ...lines.slice(scrolled));
          break;
        }
        case "alternate":
          if (step.on === alternate) break;
          await write(step.on ? "\x1b[?1049h\x1b[H\x1b[2Jfull-screen\r\npicture" : "\x1b[?1049l");
          alternate = step.on;
          break;
        case "reverseIndex":
          if (alternate || current !== "") break;
          // Down a row and back up into it (RI), or RI at the top of a cleared screen (it scrolls down).
          await write(step.atTop ? `\x1b[H\x1b[2J\x1bM${step.text}\r\n` : `\n\x1bM${step.text}\r\n`);
          printed.push(step.text);
          break;
        case "long": {
          if (alternate || current !== "") break;
          const text = step.text.repeat(Math.ceil(step.length / step.text.length)).slice(0, step.length);
          await write(`${text}\r\n`);
          printed.push(text);
          break;
        }
        case "resize":
          screen.resize(step.cols, step.rows);
          rows = step.rows;
          break;
        case "read":
          read();
          break;
      }
    }
    if (alternate) {
      await write("\x1b[?1049l");
      alternate = false;
    }
    read();
    finish();
    return { got, printed, lost };
  } finally {
    screen.dispose();
  }
}

describe("new reads return every line printed exactly once, in order (model-based)", () => {
  it("random programs of lines, overwrites, clears, regions, alternate screen and reverse index", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const { got, printed, lost } = await run(ops);
        expect(lost).toBe(false);
        expect(got).toEqual(printed);
      }),
      params,
    );
  });

  it("a resize between reads neither skips the lines printed after it nor repeats those read before it", async () => {
    // Attack review: three 50-column lines on a 30-column screen, a read, then a wider screen (their rows merge):
    // `new` skipped N1 and N2; a narrower one (their rows split): `new` returned the b and c lines again.
    const long = (text: string): Op => ({ kind: "long", text, length: 50 });
    const line = (text: string): Op => ({ kind: "line", text });
    for (const size of [
      { cols: 60, rows: 6 },
      { cols: 20, rows: 6 },
      { cols: 60, rows: 3 },
      { cols: 20, rows: 10 },
    ]) {
      const { got, printed, lost } = await run([
        long("a"),
        long("b"),
        long("c"),
        { kind: "read" },
        { kind: "resize", ...size },
        line("N1"),
        line("N2"),
        line("N3"),
        { kind: "read" },
        { kind: "resize", cols: 30, rows: 6 },
        line("M1"),
      ]);
      expect(lost).toBe(false);
      expect(got, JSON.stringify(size)).toEqual(printed);
    }
  });

  it("the cursor's line that wraps comes again whole in the next read, not from the cursor's row", async () => {
    // Attack review: a 25-character progress line on a 20-column screen; after it grew, `new` returned only
    // the characters on the cursor's row ("UVWXYZ").
    const screen = new PaneScreen({ cols: 20, rows: 5, scrollback: 1000 });
    try {
      const write = (text: string) =>
        new Promise<void>((resolve) => screen.write(Buffer.from(text), resolve));
      await write("ABCDEFGHIJKLMNOPQRSTUVWXY");
      const first = screen.renderFrom({ row: 0 });
      expect(first.text).toBe("ABCDEFGHIJKLMNOPQRSTUVWXY");
      await write("Z");
      const again = screen.renderFrom(first.cursor);
      expect(again.text).toBe("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
      await write("\r\ndone\r\n");
      expect(screen.renderFrom(again.cursor).text).toBe("ABCDEFGHIJKLMNOPQRSTUVWXYZ\ndone");
    } finally {
      screen.dispose();
    }
  });

  it("the issue's example: three lines, a clear, three more, eight more", async () => {
    const line = (text: string): Op => ({ kind: "line", text });
    const { got, printed } = await run([
      line("a1"),
      line("a2"),
      line("a3"),
      { kind: "read" },
      { kind: "clear", bytes: "\x1b[H\x1b[2J" },
      line("AFTER-1"),
      line("AFTER-2"),
      line("AFTER-3"),
      { kind: "read" },
      ...Array.from({ length: 8 }, (_, i) => line(`m${i}`)),
    ]);
    expect(got).toEqual(printed);
    expect(printed).toHaveLength(14);
  });
});
