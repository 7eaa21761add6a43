import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitByScrollBudget } from "../../src/panes/scroll-budget.js";

const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 300);

/** Rows a piece of plain text can scroll at `cols` columns: every line fills ceil(len / cols) rows, at least one. */
function rowsOf(piece: string, cols: number): number {
  const lines = piece.split("\n");
  let rows = 0;
  lines.forEach((line, index) => {
    const hasFeed = index < lines.length - 1;
    rows += Math.max(hasFeed ? 1 : 0, Math.ceil(line.length / cols));
  });
  return rows;
}

describe("splitByScrollBudget", () => {
  it("loses and reorders nothing, and keeps every piece within the row budget (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constant("\n"),
            fc.string({ maxLength: 300 }).map((s) => s.replace(/[^ -~]/g, "x")),
          ),
        ),
        fc.integer({ min: 20, max: 200 }),
        fc.integer({ min: 2, max: 50 }),
        (parts, cols, maxRows) => {
          const text = parts.join("");
          const pieces = splitByScrollBudget(Buffer.from(text), cols, maxRows);
          expect(Buffer.concat(pieces).toString()).toBe(text);
          for (const piece of pieces)
            expect(rowsOf(Buffer.from(piece).toString(), cols)).toBeLessThanOrEqual(maxRows + 1);
        },
      ),
      { seed: 42, numRuns: runs },
    );
  });

  it("counts tabs and other feeds on the careful path", () => {
    const tabs = Buffer.from("\t".repeat(4000));
    const pieces = splitByScrollBudget(tabs, 80, 10);
    expect(Buffer.concat(pieces).equals(tabs)).toBe(true);
    expect(pieces.length).toBeGreaterThan(1);
  });
});
