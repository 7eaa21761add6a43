import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packText, unpackText } from "../../src/panes/packed-text.js";

const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 300);

/** A block of history as RowHistory seals it: rows joined by "\n". */
const block = (row: (i: number) => string) => Array.from({ length: 256 }, (_, i) => row(i)).join("\n");

describe("packed history text (deflated blocks)", () => {
  it.each([
    ["ASCII rows", block((i) => `${String(i).padStart(9, "0")} ${"abcdefghij".repeat(7)}`)],
    ["Latin-1 rows (one byte per unit, above 0x7f)", block((i) => `café ${i} ÿ±×`.repeat(5))],
    ["wide CJK rows", block((i) => `中文字符 ${i} 漢字`.repeat(6))],
    ["emoji (surrogate pairs) and ZWJ sequences", block((i) => `😀 ${i} 👩‍💻 🇩🇪`.repeat(6))],
    ["combining marks", block((i) => `e\u0301${i}a\u0308`.repeat(10))],
    ["empty rows", block(() => "")],
    ["lone surrogates", block((i) => `\ud800${i}\udfff x`.repeat(8))],
  ])("gives back exactly the text: %s", (_name, text) => {
    const packed = packText(text);
    expect(packed).toBeDefined();
    expect((packed as string).length).toBeLessThan(text.length);
    expect(unpackText(packed as string)).toBe(text);
  });

  it("leaves text that deflating would not shrink unpacked", () => {
    expect(packText("")).toBeUndefined();
    expect(packText("ab")).toBeUndefined();
    expect(packText("0123456789abcdefghijklmnopqrstuvwxyzABCD")).toBeUndefined(); // no repeats
  });

  it("round-trips any string, every code unit kept", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.nat(20), (text, repeat) => {
        const repeated = text.repeat(repeat);
        const packed = packText(repeated);
        expect(packed === undefined ? repeated : unpackText(packed)).toBe(repeated);
      }),
      { seed: 16, numRuns: runs },
    );
  });

  it("refuses text that packText did not make", () => {
    expect(() => unpackText("plain text")).toThrow(/expected a packed text/);
  });
});
