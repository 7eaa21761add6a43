import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import {
  checkWaitRegexShape,
  compileWaitRegex,
  estimateProgramSize,
  withoutCaptures,
} from "../../src/shared/wait-regex.js";

const ISSUE_PATTERN = `(?s)${"(".repeat(128)}.${")".repeat(128)}{1000}[0-9]`;

function refusal(pattern: string): string {
  try {
    compileWaitRegex(pattern);
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
  return "accepted";
}

/** 256 KB of random a/b lines: a full search window that defeats re2js's lazy DFA for the patterns below. */
function abWindow(): string {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const lines: string[] = [];
  for (let i = 0; i < 2600; i++)
    lines.push(Array.from({ length: 99 }, () => (random() < 0.5 ? "a" : "b")).join(""));
  return lines.join("\n");
}

describe("wait_for regexes are bounded in cost, not only in length", () => {
  it("the issue-9 pattern (272 characters, 257 000 instructions with its 128 captures) matches cheaply", () => {
    expect(ISSUE_PATTERN).toHaveLength(272);
    const matches = compileWaitRegex(ISSUE_PATTERN);
    const started = performance.now();
    expect(matches(abWindow())).toBe(false);
    // Generous: the old program took ~15 s on a 2 KB screen; without captures it is about 1 000 instructions.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(estimateProgramSize(withoutCaptures(ISSUE_PATTERN)).instructions).toBeLessThan(1100);
  });

  it("captures inside a counted repetition cost nothing: (?:(.)(.)){600} took 16 s per window", () => {
    const matches = compileWaitRegex("(?s)(?:(.)(.)){600}[^ab\\n]");
    const started = performance.now();
    expect(matches(abWindow())).toBe(false);
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it.each([
    ["nested counted repetitions", "((a{30}){30}b){30}"],
    ["wide alternation repeated", "(?:abcdefgh|ijklmnop|qrstuvwx){999}"],
    ["a long literal repeated", `(?:${"x".repeat(100)}){100}`],
  ])("sibling: %s is refused before compiling, with the way out", (_name, pattern) => {
    const started = performance.now();
    expect(() => checkWaitRegexShape(pattern)).toThrow(/too costly.*counted repetitions/);
    expect(performance.now() - started).toBeLessThan(50);
    expect(refusal(pattern)).toMatch(/^INVALID_ARGUMENT: regex is too costly/);
  });

  it.each([
    "^\\$ $",
    "error|warning",
    "(?i)build (succeeded|failed)",
    "\\d{4}-\\d{2}-\\d{2}",
    "(?s).{1000}",
    "[]{}]{3}",
  ])("everyday pattern %s is accepted", (pattern) => {
    expect(refusal(pattern)).toBe("accepted");
  });

  it("syntax errors are still refused as RE2 syntax errors", () => {
    expect(refusal("(a")).toMatch(/^INVALID_ARGUMENT: regex is not valid RE2 syntax/);
    expect(refusal("(?P<x")).toMatch(/^INVALID_ARGUMENT: regex is not valid RE2 syntax/);
  });

  it("withoutCaptures makes only capturing groups plain, leaving escapes, classes and quoted text", () => {
    expect(withoutCaptures("(a)(?P<n>b)(?<m>c)(?:d)(?i)[(]\\(\\Q(\\E(?i:e)")).toBe(
      "(?:a)(?:b)(?:c)(?:d)(?i)[(]\\(\\Q(\\E(?i:e)",
    );
    for (const [pattern, text] of [
      ["(a|b)+c", "xxababc"],
      ["^(?P<word>\\w+) (\\d+)$", "hello 42"],
    ] as const) {
      expect(compileWaitRegex(pattern)(text)).toBe(RE2JS.compile(pattern, RE2JS.MULTILINE).test(text));
    }
  });

  it("the estimate is within a factor of two of the compiled program", () => {
    for (const pattern of [
      "(?:a{30}){30}",
      "(?:a|b|c)+\\d{2,4}",
      "(?:ab|cd){10,20}",
      "\\Qa{1000}\\E",
      "(?s).{1000}",
    ]) {
      const compiled = RE2JS.compile(pattern) as unknown as { re2Input: { prog: { numInst(): number } } };
      const actual = compiled.re2Input.prog.numInst();
      const estimate = estimateProgramSize(pattern).instructions;
      expect(estimate, pattern).toBeGreaterThan(actual / 2);
      expect(estimate, pattern).toBeLessThan(actual * 2);
    }
  });
});
