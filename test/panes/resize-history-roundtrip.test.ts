import { describe, expect, it } from "vitest";
import type { PaneScreen } from "../../src/panes/pane-screen.js";
import { screenMaker } from "../support/pane-screens.js";

// Attack review (second of 2026-12-03): a shorter pane sends rows to history; a taller one brings them back onto
// the screen from the emulator's scrollback, and they stayed in history too. Reads took them from history as
// printed: a program that rewrote such a row was never seen (stale history, stale `new` reads), and the cursor's
// line among them was not re-wrapped again, so moving the cursor onto it and resizing lost part of it. A taller
// screen now takes those lines back out of history (PaneScreen.takeBackShownLines), as tmux moves history lines
// back onto a taller pane.

const screen = screenMaker(100);

const write = (target: PaneScreen, text: string): void => target.write(Buffer.from(text), () => {});
const lines = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => `L0${from + i}`).join("\r\n");

describe("lines a taller screen brings back from history", () => {
  it("the cursor moved onto one re-wraps it whole on later resizes, and text printed there lands in it", () => {
    const pane = screen(54, 12);
    const long = `L03:${"abcdefghij".repeat(6)}`; // 64 characters: two rows at 54 columns
    write(pane, `${lines(3)}\r\n${long}\r\n${lines(6, 4)}`);
    pane.resize(54, 5);
    pane.resize(54, 12);
    write(pane, "\x1b[6A\x1b[5G"); // onto the long line's second row, column 5
    for (const [cols, rows] of [
      [66, 12],
      [29, 12],
      [66, 12],
    ] as const)
      pane.resize(cols, rows);
    write(pane, "@");
    const expected = `L03:${"abcdefghij".repeat(5)}abcd@fghij`;
    expect(pane.snapshot().text.split("\n")).toEqual([
      ...lines(3).split("\r\n"),
      expected,
      ...lines(6, 4).split("\r\n"),
    ]);
    const all = pane.renderScrollback().split("\n");
    expect(all.filter((line) => line.startsWith("L03"))).toEqual([expected]);
  });

  it("a row the program rewrites after it came back reaches history and reads as rewritten", () => {
    const pane = screen(40, 12);
    write(pane, lines(10));
    pane.resize(40, 5);
    pane.resize(40, 12);
    write(pane, "\x1b[3;1H\x1b[KCHANGED-ROW-2\x1b[10;4H");
    expect(pane.renderScrollback().split("\n").slice(0, 4)).toEqual(["L00", "L01", "CHANGED-ROW-2", "L03"]);
    // Sent to history again by a shorter screen, and by printing on: still as rewritten, once.
    pane.resize(40, 4);
    write(pane, "\r\nAFTER\r\nM1\r\nM2\r\nM3\r\nM4");
    const all = pane.renderScrollback().split("\n");
    expect(all.slice(0, 4)).toEqual(["L00", "L01", "CHANGED-ROW-2", "L03"]);
    expect(all.filter((line) => line === "L02")).toEqual([]);
    expect(all.filter((line) => line === "L09")).toEqual(["L09"]);
  });

  it("a wide character pushed to a row's start does not keep the lines above its line in history", () => {
    // Second attack review of the fix: 文 does not fit the row's last column and leaves a blank cell there; the
    // line straddling the screen's top then read otherwise than history, and every line above it stayed there.
    const pane = screen(20, 5);
    write(pane, `FIRST\r\n${"A".repeat(19)}文BBBBB\r\n${lines(4, 1)}`);
    pane.resize(20, 10);
    write(pane, "\x1b7\x1b[1H\x1b[2KEDITED\x1b8");
    write(pane, `\r\n${lines(10, 5)}`);
    const all = pane.renderScrollback().split("\n");
    expect(all.slice(0, 3)).toEqual(["EDITED", `${"A".repeat(19)}文BBBBB`, "L01"]);
    expect(all).not.toContain("FIRST");
  });

  it.each([
    ["tabs", "a\tb\tc"],
    ["combining marks", "e\u0301e\u0301 cafe\u0301"],
    ["an emoji at the row's edge", `${"x".repeat(19)}😀tail`],
    ["wide characters over two rows", "中".repeat(25)],
  ])(
    "a line of %s below a rewritten line comes back without keeping the rewrite out of history",
    (_kind, line) => {
      const pane = screen(20, 5);
      write(pane, `FIRST\r\n${line}\r\n${lines(4, 1)}`);
      pane.resize(20, 12);
      write(pane, "\x1b7\x1b[1H\x1b[2KEDITED\x1b8");
      write(pane, `\r\n${lines(12, 5)}`);
      const all = pane.renderScrollback().split("\n");
      expect(all[0]).toBe("EDITED");
      expect(all.filter((each) => each === "L01")).toEqual(["L01"]);
    },
  );

  it("a new read across the round trip neither repeats the lines read before it nor skips those after", () => {
    const pane = screen(40, 12);
    write(pane, `${lines(10)}\r\n`);
    const first = pane.renderFrom(undefined, 0);
    pane.resize(40, 5);
    pane.resize(40, 12);
    write(pane, "AFTER1\r\nAFTER2\r\n");
    const second = pane.renderFrom(first.cursor, 0);
    expect(second.text.split("\n")).toEqual(["AFTER1", "AFTER2"]);
    expect(second.lost).toBe(false);
  });
});

// Attack review (first of 2026-12-03), f1: a cursor past the end of its line's text, the pane narrowed below its
// column. xterm puts it on the last column, so what is printed next fills that column and wraps onto the next
// row; tmux 3.3a moves it to the end of the line's text. ccmux does as xterm, and keeps the result one line.
describe("a cursor past the end of its line's text, narrowed below its column", () => {
  it("goes to the last column, as xterm puts it: the next output wraps and stays on the line", () => {
    const pane = screen(80, 10);
    write(pane, "first\r\nabc\x1b[51G");
    pane.resize(40, 10);
    expect(pane.snapshot().cursor).toMatchObject({ row: 1, col: 39 });
    write(pane, "XY\r\nnext");
    expect(pane.snapshot().text.split("\n").slice(0, 4)).toEqual([
      "first",
      `abc${" ".repeat(36)}X`,
      "Y",
      "next",
    ]);
    expect(pane.renderScrollback().split("\n")).toEqual(["first", `abc${" ".repeat(36)}XY`, "next"]);
  });

  it("keeps the wrap pending where the line's text fills the row up to the cursor, as after printing its last column", () => {
    const pane = screen(80, 10);
    write(pane, `first\r\n${"A".repeat(40)}`);
    pane.resize(40, 10);
    expect(pane.snapshot().cursor).toMatchObject({ row: 1, col: 40 });
    write(pane, "B\r\nnext");
    expect(pane.snapshot().text.split("\n").slice(0, 4)).toEqual(["first", "A".repeat(40), "B", "next"]);
    expect(pane.renderScrollback().split("\n")).toEqual(["first", `${"A".repeat(40)}B`, "next"]);
  });
});
