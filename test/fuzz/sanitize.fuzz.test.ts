import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sanitizeTail, sanitizeText, truncateTail } from "../../src/panes/sanitize.js";
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

describe("sanitizeTail properties", () => {
  // Attack review: a screen of cells each holding 31 zero-width spaces is 2.56 M code units, and sanitizing all
  // of it for every read held the server's main thread 0.3-0.6 s. sanitizeTail sanitizes only the window it can
  // keep; what it returns must still be sanitized, a suffix of the full sanitized text, within the limit, with
  // the full count of lines cut.
  it("returns the end of sanitizeText(raw) within the limit, counting every line cut, and nothing forbidden", () => {
    const text = fc.string({
      unit: fc.oneof(interesting, fc.constantFrom("a", "\n", "🚀")),
      maxLength: 1200,
    });
    fc.assert(
      fc.property(text, fc.integer({ min: 80, max: 400 }), (input, max) => {
        const full = sanitizeText(input);
        const result = sanitizeTail(input, max);
        expect(result.text.length).toBeLessThanOrEqual(Math.max(max, full.length <= max ? full.length : 0));
        if (!result.truncated) {
          expect(result.text).toBe(full);
          return;
        }
        const newline = result.text.indexOf("\n");
        const header = result.text.slice(0, newline);
        const kept = result.text.slice(newline + 1);
        expect(header).toMatch(/^\[… \d+ earlier lines? (and the start of this line )?truncated …\]$/);
        expect(kept).not.toMatch(FORBIDDEN);
        expect(kept).not.toMatch(/\p{Cs}/u);
        // Whole lines kept: they are the last lines of the fully sanitized text, and the count says how many
        // lines came before them.
        if (!header.includes("start of this line")) {
          const cut = Number(/\d+/.exec(header)?.[0]);
          expect(full.split("\n").slice(cut).join("\n")).toBe(kept);
        }
      }),
      params,
    );
  });

  it("sanitizes a bounded window of a 2.56 M-unit screen of zero-width spaces", () => {
    const row = `a${"\u200b".repeat(31)}`.repeat(400);
    const screen = Array.from({ length: 200 }, () => row).join("\n");
    const result = sanitizeTail(screen, 4000);
    expect(result.truncated).toBe(true);
    expect(result.text.length).toBeLessThanOrEqual(4000);
    expect(result.text).toMatch(
      /^\[… 199 earlier lines and the start of this line truncated …\]\n(a⟨U\+200B×31⟩)+$/,
    );
  });
});
