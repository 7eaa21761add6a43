import { describe, expect, it } from "vitest";
import type { PaneScreen } from "../../src/panes/pane-screen.js";
import { screenMaker } from "../support/pane-screens.js";

// Attack review: a 40×6 screen filled row by row by cursor addressing (`ESC[r;1H` and 40 characters), the cursor
// parked on row 1, then narrowed by one column: rows 2-6 kept only their last character, and history joined them
// onto row 1. xterm.js 6 assumes nothing below the cursor has text and drops the buffer's last row for every row a
// re-wrapped line gains (Buffer._reflowSmaller), and rows below the cursor when the screen gets shorter
// (Buffer.resize). Any screen a program draws with the cursor left above its bottom (a TUI, a progress display)
// lost rows this way. Every row must read back whole, and the cursor must stay on its own line and column.

const screen = screenMaker(100);

const write = (target: PaneScreen, text: string): void => target.write(Buffer.from(text), () => {});

/** Everything the pane holds, history and screen, as lines with their wraps undone. */
function allText(target: PaneScreen): string {
  return target.renderScrollback();
}

/** `count` rows of `width` characters, each drawn by cursor addressing, then the cursor sent to `cursorRow`. */
function cupRows(
  count: number,
  width: number,
  cursorRow: number,
  cell = "x",
): { text: string; rows: string[] } {
  const rows = Array.from({ length: count }, (_, i) => {
    const head = `row${i + 1}`;
    return head + cell.repeat(Math.floor((width - head.length) / (cell === "x" ? 1 : 2)));
  });
  const text = `${rows.map((row, i) => `\x1b[${i + 1};1H${row}`).join("")}\x1b[${cursorRow};1H`;
  return { text, rows };
}

/**
 * What a resize must leave of `rows` (drawn in order, the cursor on row `cursorRow`): every line reads whole or
 * not at all (never a fragment), nothing above the cursor's row is lost, rows below it are lost only from the
 * bottom (cut for the cursor's line's room, as tmux cuts them), and printing `#` lands at the start of the
 * cursor's row.
 */
function expectIntact(target: PaneScreen, rows: string[], cursorRow: number): void {
  const lines = allText(target)
    .split("\n")
    .filter((line) => line !== "");
  for (const line of lines) expect(rows).toContain(line);
  const kept = rows.filter((row) => lines.includes(row));
  expect(kept).toEqual(rows.slice(0, kept.length)); // a prefix: only the bottom rows may go
  expect(kept.length).toBeGreaterThanOrEqual(cursorRow);
  write(target, "#");
  const after = allText(target).split("\n");
  expect(after).toContain(`#${rows[cursorRow - 1]?.slice(1)}`);
}

describe("a resize keeps the rows below the cursor whole, and the cursor on its line", () => {
  for (const cursorRow of [1, 2, 4, 5]) {
    for (const cols of [39, 35, 20]) {
      it(`rows drawn by cursor addressing, cursor on row ${cursorRow}, 40×6 → ${cols}×6 and back`, () => {
        const s = screen(40, 6);
        const { text, rows } = cupRows(6, 40, cursorRow);
        write(s, text);
        s.resize(cols, 6);
        s.resize(40, 6);
        expectIntact(s, rows, cursorRow);
      });
    }
  }

  it("no row is lost when the cursor's line keeps its place: cursor on row 4, 40×6 → 39×6", () => {
    // Six rows of 40 take twelve at 39: rows 1-3 go to history, rows 4-6 fill the screen.
    const s = screen(40, 6);
    const { text, rows } = cupRows(6, 40, 4);
    write(s, text);
    s.resize(39, 6);
    const lines = allText(s).split("\n");
    for (const row of rows) expect(lines).toContain(row);
  });

  it("the cursor stays on its line and column: the next character lands where it would have", () => {
    const s = screen(40, 6);
    const { text } = cupRows(6, 40, 5);
    write(s, `${text}\x1b[5;5H`);
    s.resize(39, 6);
    write(s, "#");
    const lines = allText(s).split("\n");
    expect(lines).toContain(`row5#${"x".repeat(35)}`);
    expect(lines).toContain(`row6${"x".repeat(36)}`);
  });

  it("the cursor's line pushed above the screen comes back, rows below it cut (attack review: `@` landed in R6)", () => {
    // 40×10, lines R1..R10, cursor on R4 column 7, then 40×5: R4 must take the `@`.
    const s = screen(40, 10);
    const rows = Array.from({ length: 10 }, (_, i) => `R${i + 1}-abcdefghij`);
    write(s, `${rows.map((row, i) => `\x1b[${i + 1};1H${row}`).join("")}\x1b[4;7H`);
    s.resize(40, 5);
    write(s, "@");
    const lines = allText(s).split("\n");
    expect(lines).toContain("R4-abc@efghij");
    for (const row of ["R1-abcdefghij", "R2-abcdefghij", "R3-abcdefghij", "R5-abcdefghij"])
      expect(lines).toContain(row);
    for (const line of lines.filter((l) => l !== "")) expect(line).toMatch(/^R\d+-abc[d@]efghij$/);
  });

  it("a shorter screen cuts rows below the cursor only as it must (40×6 → 40×4)", () => {
    const s = screen(40, 6);
    const { text, rows } = cupRows(6, 30, 1);
    write(s, text);
    s.resize(40, 4);
    expectIntact(s, rows, 1);
  });

  it("a short row below a long one is not pushed out", () => {
    const s = screen(40, 6);
    write(s, `\x1b[1;1H${"L".repeat(40)}\x1b[6;1Htail\x1b[2;1H`);
    s.resize(20, 6);
    const lines = allText(s).split("\n");
    expect(lines).toContain("L".repeat(40));
    expect(lines).toContain("tail");
  });

  it("rows of wide characters, cursor on row 1, 40×6 → 39×6", () => {
    const s = screen(40, 6);
    const { text, rows } = cupRows(6, 40, 1, "中");
    write(s, text);
    s.resize(39, 6);
    expectIntact(s, rows, 1);
  });

  it("the normal screen's rows and saved cursor come through a resize under the alternate screen", () => {
    const s = screen(40, 6);
    const { text, rows } = cupRows(6, 40, 1);
    write(s, `${text}\x1b[?1049h`);
    write(s, "full-screen program");
    s.resize(39, 6);
    write(s, "\x1b[?1049l");
    expectIntact(s, rows, 1);
  });

  it("a wider screen leaves the cursor on its own line when a wrapped line below it is joined", () => {
    const s = screen(40, 6);
    write(s, `top\r\nmid\r\n${"A".repeat(100)}\x1b[2;2H`);
    s.resize(50, 6);
    write(s, "#");
    const lines = allText(s).split("\n");
    expect(lines).toContain("m#d");
    expect(lines).toContain("A".repeat(100));
  });

  it("rows a resize moves into history, or cuts, never read as printed anew", async () => {
    const s = screen(40, 6);
    const { text } = cupRows(6, 40, 1);
    await new Promise<void>((done) => s.write(Buffer.from(text), done));
    const mark = s.markSince();
    s.resize(39, 6);
    expect(s.renderFrom(mark, 8).text).not.toMatch(/row\d/);
    s.resize(40, 4);
    expect(s.renderFrom(mark, 8).text).not.toMatch(/row\d/);
    await new Promise<void>((done) => s.write(Buffer.from("\x1b[4;1H\r\nafter"), done));
    const since = s.renderFrom(mark, 8).text;
    expect(since).toContain("after");
    expect(since).not.toMatch(/row\d/);
  });

  it("the alternate screen narrowed reads back no wider than the pane, and widened shows no cells cut off", () => {
    // Attack review: rows drawn 39 wide at 40×10 read back 39 characters on a 20-column pane (xterm keeps the
    // alternate buffer's rows at their old length), in reads and in the frame a person's terminal is drawn from.
    const s = screen(40, 10);
    const rows = Array.from(
      { length: 10 },
      (_, i) => `ALT${i}-${"abcdefghijklmnopqrstuvwxyz0123456789".slice(0, 33)}`,
    );
    write(s, `\x1b[?1049h${rows.map((row, i) => `\x1b[${i + 1};1H${row}`).join("")}`);
    s.resize(20, 5);
    for (const line of s.snapshot().text.split("\n")) expect(line.length).toBeLessThanOrEqual(20);
    for (const line of s.frame().lines)
      expect(line.map((run) => run[0]).join("").length).toBeLessThanOrEqual(20);
    s.resize(40, 10);
    for (const line of s.snapshot().text.split("\n")) expect(line.length).toBeLessThanOrEqual(20);
  });

  it("a wide character cut in half by a narrower alternate screen is blanked, not shown past the edge", () => {
    const s = screen(40, 5);
    write(s, `\x1b[?1049h\x1b[1;1H${"中".repeat(20)}`);
    s.resize(21, 5);
    const first = s.snapshot().text.split("\n")[0] ?? "";
    expect(first).toBe("中".repeat(10));
  });

  it("a screen with nothing below the cursor resizes as before (a shell prompt at the end of its output)", () => {
    const s = screen(40, 6);
    write(s, "one\r\ntwo\r\n$ ");
    s.resize(30, 6);
    expect(s.snapshot().text).toBe("one\ntwo\n$ ");
    expect(s.snapshot().cursor).toEqual({ row: 2, col: 2 });
  });
});
