import fc from "fast-check";
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

  it("takes back its last rows, from sealed and packed blocks too, as if they were never pushed", () => {
    // A resize re-wraps the cursor's line whole: its rows in history are taken back first (PaneScreen.resize).
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_500 }),
        fc.integer({ min: 0, max: 700 }),
        fc.integer({ min: 0, max: 400 }),
        fc.constantFrom(100, 1_000, 100_000),
        fc.boolean(),
        (kept, dropped, after, capacity, pack) => {
          const taken = new RowHistory(capacity);
          const plain = new RowHistory(capacity);
          for (let i = 0; i < kept; i++) {
            taken.push(`row ${i}`, i % 3 === 0);
            plain.push(`row ${i}`, i % 3 === 0);
          }
          for (let i = 0; i < dropped; i++) taken.push(`dropped ${i}`, true);
          if (pack) taken.pack();
          const held = taken.start;
          const ok = taken.dropLast(dropped);
          // Possible exactly when every row to take back is still held.
          expect(ok).toBe(dropped === 0 || kept >= held);
          if (!ok) {
            expect(taken.end).toBe(kept + dropped);
            return;
          }
          for (let i = 0; i < after; i++) {
            taken.push(`after ${i}`, i % 4 === 0);
            plain.push(`after ${i}`, i % 4 === 0);
          }
          // Rows the taken-back ones pushed out of history stay out.
          expect(taken.end).toBe(plain.end);
          expect(taken.start).toBeGreaterThanOrEqual(plain.start);
          for (let row = taken.start; row < plain.end; row++) {
            expect(taken.text(row)).toBe(plain.text(row));
            expect(taken.joinsNext(row)).toBe(plain.joinsNext(row));
          }
        },
      ),
      { seed: 17, numRuns: 300 },
    );
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

describe("RowHistory packing (deflated blocks)", () => {
  /** Rows a user sees after a flood: wide chars, emoji, empty rows, rows that wrap into the next. */
  const rowOf = (i: number) =>
    [`plain ${i} ${"x".repeat(i % 70)}`, `中文 ${i} 漢字`, `😀 ${i} 👩‍💻`, "", `e\u0301 ${i}`][
      i % 5
    ] as string;
  const wraps = (i: number) => i % 3 === 1;

  function filled(clock: () => number, rows = 3000): RowHistory {
    const history = new RowHistory(2000, undefined, clock);
    for (let i = 0; i < rows; i++) history.push(rowOf(i), wraps(i));
    return history;
  }

  function read(history: RowHistory): Array<[string, boolean]> {
    const rows: Array<[string, boolean]> = [];
    for (let r = history.start; r < history.end; r++) rows.push([history.text(r), history.joinsNext(r)]);
    return rows;
  }

  it("reads the same rows and wraps after every block is packed", () => {
    const history = filled(() => 0);
    const before = read(history);
    expect(history.packedBlocks).toBe(0);
    history.pack();
    expect(history.packedBlocks).toBeGreaterThan(0);
    expect(read(history)).toEqual(before);
    expect(before[0]?.[0]).toBe(rowOf(history.start));
  });

  it("a flood packs nothing: its blocks drop out before they are old enough", () => {
    let now = 0;
    const history = filled(() => now, 20_000);
    expect(history.packedBlocks).toBe(0);
    now += 1000; // the pane went quiet; its next rows seal a block and pack the old ones
    for (let i = 20_000; i < 20_256; i++) history.push(rowOf(i), wraps(i));
    expect(history.packedBlocks).toBe(Math.floor((2000 + 255) / 256) - 1);
    for (let r = history.start; r < history.end; r++) expect(history.text(r)).toBe(rowOf(r));
  });

  it("replacing the last row of a packed block keeps the others", () => {
    const history = new RowHistory(1000, undefined, () => 0);
    for (let i = 0; i < 512; i++) history.push(rowOf(i), false);
    history.pack();
    history.replaceLast("replaced 😀", true);
    expect(history.text(511)).toBe("replaced 😀");
    expect(history.joinsNext(511)).toBe(true);
    for (let r = 0; r < 511; r++) expect(history.text(r)).toBe(rowOf(r));
  });

  it("the code-unit cap counts packed blocks at their text's size", () => {
    const history = new RowHistory(1_000_000, 3_000_000, () => 0);
    const row = "e\u0301".repeat(2000); // 4000 code units, packs to a few bytes
    for (let i = 0; i < 2000; i++) {
      history.push(`${i}:${row}`, false);
      history.pack();
    }
    expect(history.packedBlocks).toBeGreaterThan(0);
    expect(history.end - history.start).toBeLessThan(1000);
    expect(history.text(history.end - 1).startsWith("1999:")).toBe(true);
  });

  it("takes plain lines as push takes their rows: whole blocks of narrow lines, wrapped wide lines, any fill", () => {
    // pushPlainLines seals runs of BLOCK_ROWS narrow lines as one string each (CR LF kept); every read,
    // replaceLast and packing after it must answer as pushing each row would.
    const cols = 20;
    const line = fc.oneof(
      { weight: 400, arbitrary: fc.integer({ min: 0, max: cols }) },
      { weight: 1, arbitrary: fc.integer({ min: cols + 1, max: 3 * cols + 1 }) },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.array(fc.array(line, { minLength: 1, maxLength: 700, size: "max" }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.constantFrom(0, 100, 600, 100_000),
        fc.boolean(),
        (before, batches, capacity, pack) => {
          const fast = new RowHistory(capacity);
          const slow = new RowHistory(capacity);
          for (let i = 0; i < before; i++) {
            fast.push(`pre ${i}`, i % 5 === 0);
            slow.push(`pre ${i}`, i % 5 === 0);
          }
          let n = 0;
          for (const lengths of batches) {
            const lines = lengths.map((length) => `${n++}:`.concat("x".repeat(length)).slice(0, length));
            const ends: number[] = [];
            let text = "";
            for (const l of lines) {
              text += `${l}\r\n`;
              ends.push(text.length);
            }
            fast.pushPlainLines(Buffer.from(text, "latin1"), ends, cols);
            for (const l of lines) {
              if (l.length <= cols) slow.push(l, false);
              else
                for (let at = 0; at < l.length; at += cols)
                  slow.push(l.slice(at, at + cols), at + cols < l.length);
            }
          }
          fast.replaceLast("last", true);
          slow.replaceLast("last", true);
          if (pack) {
            fast.pack();
            slow.pack();
          }
          expect([fast.start, fast.end]).toEqual([slow.start, slow.end]);
          for (let row = slow.start; row < slow.end; row++) {
            expect(fast.text(row)).toBe(slow.text(row));
            expect(fast.joinsNext(row)).toBe(slow.joinsNext(row));
          }
        },
      ),
      { seed: 16, numRuns: 150, endOnFailure: true },
    );
  });
});
