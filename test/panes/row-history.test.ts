import { describe, expect, it } from "vitest";
import { RowHistory } from "../../src/panes/row-history.js";

describe("RowHistory", () => {
  it("holds exactly the last `capacity` rows, numbered absolutely, across sealed blocks", () => {
    const history = new RowHistory(1000);
    for (let i = 0; i < 5000; i++) history.push(`row-${i}`, i % 7 === 0);
    expect(history.end).toBe(5000);
    expect(history.start).toBe(4000);
    for (const row of [4000, 4255, 4256, 4999]) {
      expect(history.text(row)).toBe(`row-${row}`);
      expect(history.joinsNext(row)).toBe(row % 7 === 0);
    }
  });

  it("holds nothing with capacity 0", () => {
    const history = new RowHistory(0);
    history.push("a", false);
    expect(history.start).toBe(history.end);
  });

  it("keeps rows with unicode and empty rows intact", () => {
    const history = new RowHistory(600);
    const rows = Array.from({ length: 600 }, (_, i) => (i % 3 === 0 ? "" : `中文 ${i} 😀`));
    for (const row of rows) history.push(row, false);
    expect(Array.from({ length: 600 }, (_, i) => history.text(i))).toEqual(rows);
  });

  it("is bounded in code units, not only rows: wide rows of combining marks drop the oldest blocks", () => {
    const history = new RowHistory(1_000_000, 1_000_000);
    const row = "e\u0301".repeat(2000); // 4000 code units
    for (let i = 0; i < 5000; i++) history.push(`${i}:${row}`, false);
    let held = 0;
    for (let r = history.start; r < history.end; r++) held += history.text(r).length;
    expect(held).toBeLessThan(1_000_000 + 256 * 4010);
    expect(history.end - history.start).toBeLessThan(600);
    expect(history.text(history.end - 1).startsWith("4999:")).toBe(true);
  });
});
