import { ATTR, DEFAULT_COLOR } from "../../panes/screen-frame.js";
import { paintableText } from "./paintable-text.js";
import { RowWriter } from "./row-writer.js";
import { dropColumns, type PaintableRun, showsBetween } from "./run-columns.js";
import { frameAttrs, frameColor, type RunStyle } from "./run-style.js";
import type { Viewport } from "./viewport.js";

/** The fill outside the pane and the clipped-row markers: dim, default colours (as tmux draws them). */
const DIM: RunStyle = { fg: DEFAULT_COLOR, bg: DEFAULT_COLOR, attrs: ATTR.dim };
const STATUS: RunStyle = { fg: DEFAULT_COLOR, bg: DEFAULT_COLOR, attrs: ATTR.inverse };
const OUTSIDE_PANE = "·";
const CLIPPED_RIGHT = ">";
const CLIPPED_LEFT = "<";
const SHORT_NOTICE = " [clipped]";

/**
 * The runs of one frame row, validated: anything but an array of `[text, fg, bg, attrs]` arrays is left out,
 * text becomes paintableText, colours and attributes frameColor and frameAttrs.
 * Security: the frame is untrusted input (it crossed the daemon socket as JSON).
 */
export function paintableRuns(line: unknown): PaintableRun[] {
  if (!Array.isArray(line)) return [];
  const runs: PaintableRun[] = [];
  for (const run of line as unknown[]) {
    if (!Array.isArray(run)) continue;
    // Security: escape injection through a forged or buggy frame: text is sanitized again, numbers validated.
    const text = paintableText(run[0]);
    if (text === "") continue;
    runs.push({ text, style: { fg: frameColor(run[1]), bg: frameColor(run[2]), attrs: frameAttrs(run[3]) } });
  }
  return runs;
}

/**
 * One pane row drawn on terminal row `viewRow`, from the viewport's first column: clipped at the view's edges
 * (an edge column then shows a dim `<` or `>` when the row has more to show that side), padded with a dim `·`
 * past the pane's width.
 */
export function paneRow(runs: readonly PaintableRun[], viewRow: number, viewport: Viewport): string {
  const { view, left, shownCols } = viewport;
  const writer = new RowWriter(viewRow);
  const cutLeft = left > 0 && showsBetween(runs, 0, left);
  // Text past the pane's width (placeholders are wider than their cells) is drawn on, over the fill: the person
  // sees what the agent reads; what still does not fit is marked.
  const cutRight = showsBetween(runs, left + view.cols, Number.POSITIVE_INFINITY);
  if (cutLeft) writer.text(CLIPPED_LEFT, DIM, 1);
  const limit = cutRight ? view.cols - 1 : view.cols;
  for (const { text, style } of dropColumns(runs, left + writer.col)) {
    if (writer.text(text, style, limit) < text.length) break;
  }
  if (cutRight) {
    writer.skipTo(view.cols - 1);
    writer.text(CLIPPED_RIGHT, DIM, view.cols);
  } else if (view.cols > Math.max(shownCols, writer.col)) {
    const from = Math.max(shownCols, writer.col);
    writer.skipTo(from);
    writer.text(OUTSIDE_PANE.repeat(view.cols - from), DIM, view.cols);
  }
  return writer.finish();
}

/** A terminal row below the pane: the dim `·` fill across. */
export function outsideRow(viewRow: number, viewport: Viewport): string {
  const writer = new RowWriter(viewRow);
  writer.text(OUTSIDE_PANE.repeat(viewport.view.cols), DIM, viewport.view.cols);
  return writer.finish();
}

/**
 * The clipping notice with a space before it, shortened on a narrow terminal so the status keeps half the
 * row.
 */
function noticeFitting(notice: string, cols: number): string {
  if (notice === "") return "";
  for (const text of [` ${notice}`, SHORT_NOTICE]) if (text.length <= cols / 2) return text;
  return "";
}

/**
 * The status line on the terminal's last row, in reverse video across the whole width: `status` (paintable
 * text, clipped) on the left, the viewport's clipping notice on the right.
 * Security: the status names the pane and its program, both chosen by the agent, so it is untrusted text.
 */
export function statusRow(status: string, viewport: Viewport): string {
  const { cols, rows } = viewport.view;
  const notice = noticeFitting(viewport.notice, cols);
  const writer = new RowWriter(rows - 1);
  // Security: escape injection through an agent-chosen pane name or program in the status line.
  writer.text(paintableText(status), STATUS, Math.max(0, cols - notice.length));
  writer.text(" ".repeat(Math.max(0, cols - notice.length - writer.col)) + notice, STATUS, cols);
  return writer.finish();
}
