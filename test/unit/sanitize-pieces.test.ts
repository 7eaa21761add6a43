import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sanitizePieces, sanitizeText } from "../../src/panes/sanitize.js";

const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 200);

describe("sanitizePieces: sanitizeText over a row's styled runs", () => {
  it("clean pieces come back as they are", () => {
    expect(sanitizePieces(["plain ", "中文", "😀"])).toEqual(["plain ", "中文", "😀"]);
    expect(sanitizePieces([])).toEqual([]);
  });

  it("a run of invisible characters across pieces is one placeholder, in the piece where it begins", () => {
    expect(sanitizePieces(["a\u200B", "\u200C", "\u200Db"])).toEqual(["a⟨U+200B U+200C U+200D⟩", "", "b"]);
    expect(sanitizePieces(["x", "", "\u202Ey"])).toEqual(["x", "", "⟨U+202E⟩y"]);
  });

  it("an emoji ZWJ sequence split between pieces keeps its ZWJ (alone, each piece would lose it)", () => {
    expect(sanitizePieces(["👨\u200D", "👩"])).toEqual(["👨\u200D", "👩"]);
    expect(sanitizeText("👨\u200D")).toBe("👨⟨U+200D⟩");
  });

  it("a stacked variation selector in the next piece is still replaced", () => {
    expect(sanitizePieces(["a\uFE0F", "\uFE0F"])).toEqual(["a\uFE0F", "⟨U+FE0F⟩"]);
  });

  it("the pieces joined are sanitizeText of the text joined (property)", () => {
    const part = fc.oneof(
      fc.string({ unit: "binary", maxLength: 6 }),
      fc.constantFrom("\u200D", "\uFE0F", "\u202E", "👨", "\u{E0041}", "\r", "\n", "\t", "\x1b", ""),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 12 }), (pieces) => {
        const out = sanitizePieces(pieces);
        expect(out).toHaveLength(pieces.length);
        expect(out.join("")).toBe(sanitizeText(pieces.join("")));
      }),
      { seed: 42, numRuns: runs * 5 },
    );
  });
});
