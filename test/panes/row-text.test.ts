import xtermHeadless from "@xterm/headless";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rowText } from "../../src/panes/row-text.js";

const { Terminal } = xtermHeadless;
const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 200);

async function rowsOf(bytes: string, cols: number) {
  const term = new Terminal({ cols, rows: 6, scrollback: 100, allowProposedApi: true });
  await new Promise<void>((resolve) => term.write(bytes, resolve));
  const buffer = term.buffer.normal;
  const rows = Array.from({ length: buffer.length }, (_, y) => buffer.getLine(y)).filter(
    (line) => line !== undefined,
  );
  return { term, rows };
}

describe("rowText: the fast row renderer used for history", () => {
  it("reads the cell layout of this @xterm/headless version (not the fallback)", async () => {
    const { term, rows } = await rowsOf("abc", 10);
    const line = rows[0] as unknown as { _line?: { _data?: unknown } };
    expect(line._line?._data).toBeInstanceOf(Uint32Array);
    term.dispose();
  });

  it("equals translateToString on wide, combining, astral, coloured and wrapped text", async () => {
    const samples = [
      "plain",
      "中文字符 wide",
      "e\u0301 combining",
      "emoji 😀 and 👨‍👩‍👧",
      "\x1b[31mred\x1b[0m tail   ",
      "x".repeat(25),
      "\ttab",
      "",
    ];
    const { term, rows } = await rowsOf(samples.join("\r\n"), 12);
    for (const line of rows) {
      for (const trim of [true, false]) expect(rowText(line, trim)).toBe(line.translateToString(trim));
    }
    term.dispose();
  });

  it("equals translateToString for arbitrary terminal output (property)", async () => {
    const piece = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 12 }),
      fc.constantFrom(
        "\r\n",
        "\t",
        "\x1b[1;31m",
        "\x1b[0m",
        "\x1b[2K",
        "\x1b[5G",
        "中",
        "😀",
        "e\u0301",
        " ",
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { maxLength: 30 }),
        fc.integer({ min: 2, max: 40 }),
        async (pieces, cols) => {
          const { term, rows } = await rowsOf(pieces.join(""), cols);
          for (const line of rows) {
            expect(rowText(line, true)).toBe(line.translateToString(true));
            expect(rowText(line, false)).toBe(line.translateToString(false));
          }
          term.dispose();
        },
      ),
      { seed: 42, numRuns: runs },
    );
  });
});
