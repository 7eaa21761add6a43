import { ATTR, DEFAULT_COLOR } from "../../panes/screen-frame.js";
import { codepointWidth } from "../../panes/unicode-widths.js";
import type { RunStyle } from "./run-style.js";

/** A frame run after validation: paintable text in a style the SGR builder can write. */
export interface PaintableRun {
  text: string;
  style: RunStyle;
}

/** Attributes that make a blank cell visible. */
const SHOWS_ON_BLANK = ATTR.inverse | ATTR.underline | ATTR.strike | ATTR.overline;

function widthOf(char: string): number {
  return codepointWidth(char.codePointAt(0) as number);
}

/** How many columns `runs` take (a row's text may be wider than the pane: placeholders take more than their cells). */
export function runsWidth(runs: readonly PaintableRun[]): number {
  let width = 0;
  for (const { text } of runs) for (const char of text) width += widthOf(char);
  return width;
}

/** Whether a visible cell of `runs` (not a plain blank) overlaps columns `from` to `to` (0-based, `to` excluded). */
export function showsBetween(runs: readonly PaintableRun[], from: number, to: number): boolean {
  let column = 0;
  for (const { text, style } of runs) {
    const blankShows = style.bg !== DEFAULT_COLOR || (style.attrs & SHOWS_ON_BLANK) !== 0;
    for (const char of text) {
      if (column >= to) return false;
      const width = widthOf(char);
      if (width > 0 && column + width > from && (char !== " " || blankShows)) return true;
      column += width;
    }
  }
  return false;
}

/**
 * `runs` without their first `count` columns. A wide character cut in half becomes a blank in its style; the
 * zero-width characters joined to a dropped character go with it.
 */
export function dropColumns(runs: readonly PaintableRun[], count: number): readonly PaintableRun[] {
  if (count <= 0) return runs;
  const kept: PaintableRun[] = [];
  let column = 0;
  let reached = false;
  for (const run of runs) {
    if (reached) {
      kept.push(run);
      continue;
    }
    const { text, style } = run;
    let index = 0;
    let blank = "";
    for (const char of text) {
      const width = widthOf(char);
      if (column >= count && width > 0) {
        reached = true;
        break;
      }
      if (column < count && column + width > count) blank = " ".repeat(column + width - count);
      column += width;
      index += char.length;
    }
    const rest = blank + text.slice(index);
    if (rest !== "") kept.push({ text: rest, style });
  }
  return kept;
}
