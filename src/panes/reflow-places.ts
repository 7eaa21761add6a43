import type { IBuffer, IMarker } from "@xterm/headless";
import { lineAt } from "./buffer-rows.js";

/** Where one logical line's rows were before a reflow and are after it (places: PaneScreen's absolute rows). */
interface LineMove {
  from: number;
  rows: number;
  to: number;
  toRows: number;
}

/**
 * How one resize moved the places of the rows it re-wrapped (PaneScreen.resize). A mark names a row by its
 * place; after a reflow the same text may sit at another place: a wider screen merges a wrapped line's rows,
 * a narrower one splits them, and every line below moves up or down by the difference. Read from a mark taken
 * before, by its place alone, a `new` read skipped lines printed since or returned read ones again (attack
 * review). `place` translates a place taken before the resize into one after it:
 * - places before `start` (rows in history, which are not re-wrapped) stay;
 * - a place inside a line goes to the row of that line at the same fraction of it (its first row to its first);
 * - a place past the last line keeps its distance to that line's end.
 */
export class ReflowPlaces {
  constructor(
    private readonly start: number,
    private readonly lines: readonly LineMove[],
  ) {}

  place(row: number): number {
    if (row < this.start || this.lines.length === 0) return row;
    // The last line that starts at or before `row` (lines are in order of `from`).
    let low = 0;
    let high = this.lines.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.lines[middle] as LineMove).from <= row) low = middle;
      else high = middle - 1;
    }
    const line = this.lines[low] as LineMove;
    const offset = row - line.from;
    if (offset < 0) return line.to;
    if (offset < line.rows)
      return line.to + Math.min(line.toRows - 1, Math.floor((offset * line.toRows) / line.rows));
    return line.to + line.toRows + (offset - line.rows);
  }
}

/**
 * The lines of a normal buffer from row `from` (place `fromPlace`) on, each marked on its first row, taken
 * before a reflow: xterm's reflow keeps a line's first row (it merges rows into it, or adds rows after it) and
 * moves markers with the rows before them. `finish` reads where each line went.
 */
export class ReflowSurvey {
  private readonly lines: { marker: IMarker | undefined; first: number; rows: number }[] = [];

  constructor(
    buffer: IBuffer,
    private readonly from: number,
    private readonly fromPlace: number,
    markerAt: (row: number) => IMarker | undefined,
  ) {
    for (let row = from; row < buffer.length; ) {
      let end = row + 1;
      while (end < buffer.length && lineAt(buffer, end)?.isWrapped === true) end++;
      this.lines.push({ marker: markerAt(row), first: row, rows: end - row });
      row = end;
    }
  }

  /**
   * After the reflow: the places' translation. `placeOf(row)` is a buffer row's place now. A line whose first
   * row is gone (trimmed, or a blank row below the cursor that a shorter screen dropped) is left out: its rows
   * count as past the line before it. Disposes the markers.
   */
  finish(buffer: IBuffer, placeOf: (row: number) => number): ReflowPlaces {
    const moves: LineMove[] = [];
    for (const line of this.lines) {
      const first = line.marker?.line ?? -1; // -1 too once disposed (trimmed)
      line.marker?.dispose();
      if (first < 0 || first >= buffer.length) continue;
      let end = first + 1;
      while (end < buffer.length && lineAt(buffer, end)?.isWrapped === true) end++;
      moves.push({
        from: this.fromPlace + (line.first - this.from),
        rows: line.rows,
        to: placeOf(first),
        toRows: end - first,
      });
    }
    return new ReflowPlaces(this.fromPlace, moves);
  }
}
