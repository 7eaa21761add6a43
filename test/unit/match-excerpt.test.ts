import { describe, expect, it } from "vitest";
import { MAX_EXCERPT_CHARS, matchExcerpt } from "../../src/panes/match-excerpt.js";
import { compileLocator, excerptOfMatch } from "../../src/panes/text-query.js";

const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n");

describe("the excerpt a wait returns with return: match", () => {
  it("is the matched line with five lines before and two after", () => {
    const excerpt = excerptOfMatch(lines, compileLocator({ text: "line 20" }));
    expect(excerpt).toBe(
      ["line 15", "line 16", "line 17", "line 18", "line 19", "line 20", "line 21", "line 22"].join("\n"),
    );
  });

  it("keeps every line a match spans (a regex across lines), and stops at the text's ends", () => {
    expect(excerptOfMatch(lines, compileLocator({ regex: "line 1\\nline 2$" }))).toBe(
      "line 0\nline 1\nline 2\nline 3\nline 4",
    );
    expect(excerptOfMatch(lines, compileLocator({ text: "line 39" }))?.split("\n")).toHaveLength(6);
  });

  it("keeps a prompt's trailing space and finds no match where there is none", () => {
    expect(excerptOfMatch("print(x)\n42\n>>> ", compileLocator({ text: ">>> " }))).toBe("print(x)\n42\n>>> ");
    expect(excerptOfMatch(lines, compileLocator({ text: "absent" }))).toBeUndefined();
  });

  it("cuts a huge matched line to a window around the match, and drops context that does not fit", () => {
    const long = `${"a".repeat(50_000)}NEEDLE${"b".repeat(50_000)}`;
    const text = `before\n${long}\nafter`;
    const excerpt = matchExcerpt(text, { start: text.indexOf("NEEDLE"), end: text.indexOf("NEEDLE") + 6 });
    expect(excerpt.length).toBeLessThanOrEqual(MAX_EXCERPT_CHARS);
    expect(excerpt).toContain("NEEDLE");
    expect(excerpt.startsWith("…")).toBe(true);
    expect(excerpt.endsWith("…")).toBe(true);
    const wide = `${"x".repeat(3500)}\n${"y".repeat(900)}\nhit`;
    expect(matchExcerpt(wide, { start: wide.length - 3, end: wide.length })).toBe(`${"y".repeat(900)}\nhit`);
  });

  it("never splits a surrogate pair at a cut", () => {
    const text = `${"😀".repeat(5000)}X${"😀".repeat(5000)}`;
    const excerpt = matchExcerpt(text, { start: 10_000, end: 10_001 });
    expect(excerpt).toContain("X");
    expect(excerpt.replace(/^…|…$/gu, "")).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/u);
  });

  it("finds a match past the first 256 KB window, with its lines", () => {
    const big = `${"filler\n".repeat(60_000)}the end: 42\nlast`;
    expect(
      excerptOfMatch(big, compileLocator({ regex: "end: \\d+" }))
        ?.split("\n")
        .slice(-2),
    ).toEqual(["the end: 42", "last"]);
  });
});
