import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import {
  checkWaitRegexShape,
  compileWaitRegex,
  estimateProgramSize,
  MAX_REGEX_GROUPS,
} from "../../src/validation/regex-check.js";

const ISSUE_PATTERN = `(?s)${"(".repeat(128)}.${")".repeat(128)}{1000}[0-9]`;

function refusal(pattern: string): string {
  try {
    compileWaitRegex(pattern);
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
  return "accepted";
}

describe("wait_for regexes are bounded in cost, not only in length", () => {
  it("the issue-9 pattern (272 characters, 257 000 instructions) is refused without compiling", () => {
    expect(ISSUE_PATTERN).toHaveLength(272);
    const started = performance.now();
    expect(() => checkWaitRegexShape(ISSUE_PATTERN)).toThrow(/too costly/);
    expect(performance.now() - started).toBeLessThan(50); // compiling it takes ~300 ms
    expect(refusal(ISSUE_PATTERN)).toMatch(/^INVALID_ARGUMENT: regex is too costly/);
  });

  it.each([
    ["nested counted repetitions", "((a{30}){30}b){30}"],
    ["wide alternation repeated", "(?:abcdefgh|ijklmnop|qrstuvwx){999}"],
    ["a class repeated under groups", "(((([a-z]))))(?:x{100}){100}"],
  ])("sibling: %s is refused", (_name, pattern) => {
    expect(refusal(pattern)).toMatch(/^INVALID_ARGUMENT: regex is too costly/);
  });

  it("too many capture groups are refused with the way out", () => {
    const pattern = "(a)".repeat(MAX_REGEX_GROUPS + 1);
    expect(refusal(pattern)).toMatch(/^INVALID_ARGUMENT: regex has 33 capture groups.*\(\?:/);
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

  it("the estimate is within a factor of two of the compiled program", () => {
    for (const pattern of [
      "(a{30}){30}",
      "(?P<x>a|b|c)+\\d{2,4}",
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
