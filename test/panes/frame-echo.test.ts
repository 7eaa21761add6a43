import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { echoRows, echoText } from "../../src/panes/frame-echo.js";
import { applyFrameRows } from "../../src/panes/screen-frame.js";
import { screenMaker, writeTo } from "../support/pane-screens.js";

/**
 * An echo drawn ahead of the emulator (frame-echo.ts, issue 13) must be exactly what the emulator draws: the
 * frame with echoRows applied equals the frame after the emulator parsed the same text, whatever came before
 * (styles, cursor moves, wide characters, insert mode, other character sets, a sequence cut in half). Where
 * that cannot be promised, no echo is drawn.
 */
const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 300);

const makeScreen = screenMaker();
const write = writeTo;

const printable = fc
  .array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: 12 })
  .map((codes) => String.fromCharCode(...codes));

const sgr = fc
  .constantFrom(
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "7",
    "8",
    "9",
    "53",
    "31",
    "42",
    "39",
    "49",
    "30;40",
    "38;5;200",
    "48;2;10;20;30",
    "4:3",
    "22;23;24;27;28;29",
  )
  .map((params) => `\x1b[${params}m`);

/** Output that moves the cursor, styles, erases, switches modes or sets, or cuts a sequence in half. */
const fragment: fc.Arbitrary<Uint8Array> = fc.oneof(
  printable.map((text) => Buffer.from(text)),
  sgr.map((text) => Buffer.from(text)),
  fc
    .tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 30 }))
    .map(([row, col]) => Buffer.from(`\x1b[${row};${col}H`)),
  fc
    .constantFrom(
      "\r",
      "\r\n",
      "\b",
      "\t",
      "\x1b[K",
      "\x1b[41m\x1b[K",
      "\x1b[2J",
      "\x1b[4h",
      "\x1b[4l",
      "\x1b(0",
      "\x1b(B",
      "\x0e",
      "\x0f",
      "\x1b)0",
      "\x1b]8;;http://x\x07",
      "\x1b]8;;\x07",
      "日本",
      "é",
      "e\u0301",
      "\u200b",
      "\u202e",
      "\x1b[?1049h",
      "\x1b[?1049l",
      "\x1b[3@",
      "\x1b[2P",
    )
    .map((text) => Buffer.from(text)),
  // A sequence or a UTF-8 character the output stops in the middle of.
  fc.constantFrom(
    Buffer.from("\x1b["),
    Buffer.from("\x1b"),
    Buffer.from([0xe6, 0x97]),
    Buffer.from("\x1b]0;t"),
  ),
);

describe("echoRows: an echo drawn ahead of the emulator", () => {
  it("equals the emulator's frame after the same text, after any output", () => {
    let drawn = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 40 }),
        fc.integer({ min: 2, max: 8 }),
        fc.array(fragment, { maxLength: 12 }),
        printable,
        (cols, rows, before, text) => {
          const screen = makeScreen(cols, rows);
          for (const bytes of before) write(screen, bytes);
          const frame = screen.frame();
          const { pen } = screen.echoState();
          const echo = pen ? echoRows(frame, pen, text) : undefined;
          write(screen, Buffer.from(text));
          if (echo === undefined) return;
          drawn += 1;
          expect(applyFrameRows(frame, echo)).toEqual(screen.frame());
        },
      ),
      { numRuns: runs },
    );
    // The property must have been tried on echoes, not only on refusals.
    expect(drawn).toBeGreaterThan(runs / 10);
  });

  it("draws a typed character after a prompt, in the prompt's style", () => {
    const screen = makeScreen(40, 4);
    write(screen, Buffer.from("\x1b[1;32muser\x1b[0m$ \x1b[33m"));
    const frame = screen.frame();
    const { pen } = screen.echoState();
    expect(pen).toEqual([3, -1, 0]);
    const echo = echoRows(frame, pen ?? [0, 0, 0], "ls");
    expect(echo?.changed).toEqual([
      [
        0,
        [
          ["user", 2, -1, 1],
          ["$ ", -1, -1, 0],
          ["ls", 3, -1, 0],
        ],
      ],
    ]);
    expect(echo?.cursor).toEqual({ row: 0, col: 8 });
  });

  it("draws nothing where the emulator would do more than print at the cursor", () => {
    const penAfter = (bytes: string | Uint8Array): unknown => {
      const screen = makeScreen(20, 3);
      write(screen, typeof bytes === "string" ? Buffer.from(bytes) : bytes);
      return screen.echoState().pen;
    };
    expect(penAfter("$ ")).not.toBeNull();
    expect(penAfter("$ \x1b[4h")).toBeNull(); // insert mode
    expect(penAfter("$ \x1b(0")).toBeNull(); // DEC line drawing
    expect(penAfter("$ \x1b)0\x0e")).toBeNull(); // shifted out to G1, DEC line drawing
    expect(penAfter("$ \x1b[")).toBeNull(); // a sequence begun
    expect(penAfter(Buffer.from([0x24, 0x20, 0xe6]))).toBeNull(); // a UTF-8 character begun
    expect(penAfter("$ \x1b[8m")).toBeNull(); // concealed: a placeholder
    // A hyperlink is dropped (PaneScreen swallows OSC 8): what follows it prints as plain text, echoes too.
    expect(penAfter("$ \x1b]8;;http://x\x07")).toEqual(penAfter("$ "));
    expect(penAfter("12345678901234567890")).toBeNull(); // waiting to wrap
    const screen = makeScreen(10, 2);
    write(screen, Buffer.from("日本$ "));
    const { pen } = screen.echoState();
    expect(echoRows(screen.frame(), pen ?? [0, 0, 0], "a")).toBeUndefined(); // wide characters on the row
    write(screen, Buffer.from("\r\n123"));
    expect(echoRows(screen.frame(), pen ?? [0, 0, 0], "4567890")).toBeUndefined(); // reaches the last column
  });

  it("takes only short printable ASCII as an echo", () => {
    expect(echoText(Buffer.from("ls -la"))).toBe("ls -la");
    expect(echoText(Buffer.from("a\r\n"))).toBeUndefined();
    expect(echoText(Buffer.from("\x1b[31m"))).toBeUndefined();
    expect(echoText(Buffer.from("é"))).toBeUndefined();
    expect(echoText(Buffer.alloc(0))).toBeUndefined();
    expect(echoText(Buffer.alloc(257, 0x61))).toBeUndefined();
  });
});
