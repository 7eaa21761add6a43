/**
 * A pane's screen as a person's terminal draws it (`ccmux attach`, seed §4.2): styled text runs per row, read
 * from the emulator's cells. Nothing of the pane's byte stream survives into a frame but printable text (the same
 * sanitized text read_pane gives the agent) and a fixed set of attributes, so a painter that builds its escape
 * sequences from a frame cannot pass on a title change, a clipboard write, a hyperlink, a mode change or a query.
 */

/** One run of cells sharing a style: `[text, fg, bg, attrs]` (compact, as it crosses the daemon socket as JSON). */
export type FrameRun = [text: string, fg: number, bg: number, attrs: number];

/** A colour: DEFAULT_COLOR, a palette index 0–255, or RGB_COLOR + 0xRRGGBB. */
export const DEFAULT_COLOR = -1;
export const RGB_COLOR = 0x1000000;

/**
 * Attribute bits of a run (SGR 1, 2, 3, 4, 5, 7, 9, 53). Concealed text (SGR 8) has no bit: concealed cells,
 * and cells drawn in their own background colour, show as the `⟨HIDDEN×n⟩` placeholder the agent reads, in
 * the default style (blanks among them stay blanks, in their colours).
 */
export const ATTR = {
  bold: 1,
  dim: 2,
  italic: 4,
  underline: 8,
  blink: 16,
  inverse: 32,
  strike: 64,
  overline: 128,
} as const;

/** The visible screen of a pane at one moment. */
export interface PaneFrame {
  cols: number;
  rows: number;
  /**
   * `rows` rows, top to bottom; each a list of runs left to right. A run's text is sanitized (sanitizeText: no
   * control, bidi or invisible character, each such run a `⟨U+…⟩` placeholder) and holds no newline. A wide
   * character's second cell is not repeated. Trailing blanks in the default style may be left out.
   *
   * A row's runs joined read exactly as that row of read_pane's screen text (sanitized), up to trailing blanks
   * (frame-of.ts): the row is sanitized as one text, so a ZWJ or variation selector kept inside an emoji
   * sequence may end one run and its emoji begin the next (do not sanitize runs again one by one). A row's text
   * can take more or fewer columns than `cols`: a placeholder is wider than the cells it replaces. A painter
   * clips each row at `cols`. Blanks past the row's text keep their colours (an erased line's background).
   */
  lines: FrameRun[][];
  /** 0-based cursor position on the screen, in cells; a cursor waiting to wrap is on the last column. */
  cursor: { row: number; col: number };
  /** The program has not hidden the cursor (DECTCEM). */
  cursorVisible: boolean;
  /** The alternate screen is shown (vim, less, top). */
  alternate: boolean;
}

/**
 * The rows of a frame that changed since the frame before it, which had the same size: each as `[row, runs]`
 * (row 0-based, top to bottom, each at most once), with the new frame's cursor and flags. Applied to the frame
 * before it (applyFrameRows) it gives the new frame.
 */
export interface FrameRows {
  cols: number;
  rows: number;
  changed: Array<[row: number, runs: FrameRun[]]>;
  cursor: { row: number; col: number };
  cursorVisible: boolean;
  alternate: boolean;
}

/** A screen's next frame for one watcher: whole (the first, after a resize or a replaced screen) or its changed rows. */
export type FrameUpdate = { frame: PaneFrame } | { rows: FrameRows };

/**
 * `frame` with `update` applied: a new frame (neither argument is changed; unchanged rows are shared). Undefined
 * when the rows do not fit the frame (another size, a row outside it).
 */
export function applyFrameRows(frame: PaneFrame, update: FrameRows): PaneFrame | undefined {
  if (update.cols !== frame.cols || update.rows !== frame.rows || frame.lines.length !== frame.rows)
    return undefined;
  const lines = frame.lines.slice();
  for (const [row, runs] of update.changed) {
    if (!Number.isInteger(row) || row < 0 || row >= lines.length) return undefined;
    lines[row] = runs;
  }
  return {
    cols: frame.cols,
    rows: frame.rows,
    lines,
    cursor: update.cursor,
    cursorVisible: update.cursorVisible,
    alternate: update.alternate,
  };
}
