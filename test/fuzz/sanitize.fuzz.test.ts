import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sanitizeText, truncateTail } from "../../src/panes/sanitize.js";
import { FORBIDDEN_IN_OUTPUT } from "../support/forbidden-output.js";

const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 300);
const params = { seed: 42, numRuns: runs };

const FORBIDDEN = FORBIDDEN_IN_OUTPUT;
const EMOJI_ZWJ =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: an optional modifier or VS16 alone, as in sanitize.ts.
  /(?<=\p{Extended_Pictographic}[\p{Emoji_Modifier}\uFE0F]?)\u200D(?=\p{Extended_Pictographic})/gu;
const STACKED_VS = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}][\uFE0E\uFE0F]/u;

// Characters that matter, mixed with arbitrary code units (lone surrogates too) and code points.
const interesting = fc.constantFrom(
  "\x1b",
  "\n",
  "\r",
  "\t",
  "\x00",
  "\x7f",
  "\u0085",
  "\u009b",
  "\u200B",
  "\u200C",
  "\u200D",
  "\u202E",
  "\u2066",
  "\uFE0E",
  "\uFE0F",
  "\uFE00",
  "\u{E0100}",
  "\u{E0041}",
  "\u{E007F}",
  "\uD800",
  "\uDC00",
  "👨",
  "🏳",
  "\u{1F3FD}",
  "⟨",
  "⟩",
  "a",
  " ",
);
const unit = fc.oneof(
  { weight: 4, arbitrary: interesting },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
);
const anyText = fc.string({ unit, maxLength: 200 });

describe("sanitizeText properties", () => {
  it("output holds no control, format, invisible, tag, surrogate or noncharacter, whatever the input", () => {
    fc.assert(
      fc.property(anyText, (input) => {
        const out = sanitizeText(input);
        expect(out).not.toMatch(FORBIDDEN);
        expect(out.replace(EMOJI_ZWJ, "")).not.toContain("\u200D");
        expect(out).not.toMatch(STACKED_VS);
      }),
      params,
    );
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(anyText, (input) => {
        const once = sanitizeText(input);
        expect(sanitizeText(once)).toBe(once);
      }),
      params,
    );
  });

  it("leaves text without forbidden characters unchanged", () => {
    const safe = fc.string({
      unit: fc.constantFrom("a", " ", "\n", "日", "─", "🚀", "é", "⟨"),
      maxLength: 200,
    });
    fc.assert(
      fc.property(safe, (input) => {
        expect(sanitizeText(input)).toBe(input);
      }),
      params,
    );
  });
});

describe("truncateTail properties", () => {
  it("fits the limit, keeps a suffix of the text, and never leaves a lone surrogate", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "\n", "🚀", "日"), maxLength: 600 });
    fc.assert(
      fc.property(text, fc.integer({ min: 80, max: 700 }), (input, max) => {
        const result = truncateTail(input, max);
        expect(result.text.length).toBeLessThanOrEqual(Math.max(max, input.length <= max ? input.length : 0));
        if (!result.truncated) {
          expect(result.text).toBe(input);
          return;
        }
        const newline = result.text.indexOf("\n");
        expect(result.text.slice(0, newline)).toMatch(
          /^\[… \d+ earlier lines? (and the start of this line )?truncated …\]$/,
        );
        expect(input.endsWith(result.text.slice(newline + 1))).toBe(true);
        expect(result.text).not.toMatch(/\p{Cs}/u);
      }),
      params,
    );
  });
});
