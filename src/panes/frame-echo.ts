import { DEFAULT_COLOR, type FrameRows, type FrameRun, type PaneFrame } from "./screen-frame.js";

/** The style a character printed now would get: `[fg, bg, attrs]` as in a FrameRun. */
export type FrameStyle = [fg: number, bg: number, attrs: number];

/**
 * What a frame watcher's last update says about the screen right after it (screen-thread.ts): how many bytes of
 * the pane's output it shows (`through`, counted from the screen's start), and the style the next printed
 * character gets when plain text would only be drawn at the cursor (`pen`; null when it would do more: insert
 * mode, another character set, an escape sequence or UTF-8 character begun, a cursor waiting to wrap, or a pen
 * whose cells show as a placeholder).
 */
export interface EchoState {
  through: number;
  pen: FrameStyle | null;
}

/**
 * An echo drawn ahead of the parse, as a person's terminal may draw it without the frame: `text` (echoText)
 * printed at `at` (the cursor before it, 0-based) in `pen`; the cursor ends right after it, on the same row.
 */
export interface EchoDraw {
  at: { row: number; col: number };
  text: string;
  pen: FrameStyle;
}

/** The longest output echoText takes: an echo of what a person typed, not a flood. */
export const MAX_ECHO_BYTES = 256;

/**
 * `chunk` as text when it is only printable ASCII (0x20–0x7e) and at most MAX_ECHO_BYTES long: the output an
 * echo of typed characters is, which an emulator draws at the cursor and nothing else; undefined otherwise.
 */
export function echoText(chunk: Uint8Array): string | undefined {
  if (chunk.byteLength === 0 || chunk.byteLength > MAX_ECHO_BYTES) return undefined;
  for (const byte of chunk) if (byte < 0x20 || byte > 0x7e) return undefined;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
}

/**
 * The frame rows `frame` becomes when plain `text` (echoText) is printed at its cursor in `pen` (EchoState): the
 * cursor's row with the text drawn over it, and the cursor after the text. Undefined when that row holds anything
 * but printable ASCII (a wide character, a placeholder: its cells and its text's columns differ) or the text
 * would reach the last column (the emulator then waits to wrap). The result equals what frameOf gives after the
 * emulator parsed `text` (test/panes/frame-echo.test.ts), so a person's view can show an echo without the round
 * trip to the screen thread; the next update from there is drawn over it in any case.
 */
export function echoRows(frame: PaneFrame, pen: FrameStyle, text: string): FrameRows | undefined {
  const { row, col } = frame.cursor;
  if (col + text.length >= frame.cols) return undefined;
  const runs = frame.lines[row];
  if (runs === undefined) return undefined;
  const cells: string[] = [];
  const styles: number[] = [];
  for (const [runText, fg, bg, attrs] of runs) {
    for (let i = 0; i < runText.length; i++) {
      const code = runText.charCodeAt(i);
      if (code < 0x20 || code > 0x7e) return undefined;
      cells.push(runText[i] as string);
      styles.push(fg, bg, attrs);
    }
  }
  while (cells.length < col + text.length) {
    cells.push(" ");
    styles.push(DEFAULT_COLOR, DEFAULT_COLOR, 0);
  }
  for (let i = 0; i < text.length; i++) {
    const at = col + i;
    cells[at] = text[i] as string;
    styles[at * 3] = pen[0];
    styles[at * 3 + 1] = pen[1];
    styles[at * 3 + 2] = pen[2];
  }
  const next: FrameRun[] = [];
  for (let i = 0; i < cells.length; i++) {
    const fg = styles[i * 3] as number;
    const bg = styles[i * 3 + 1] as number;
    const attrs = styles[i * 3 + 2] as number;
    const last = next.at(-1);
    if (last && last[1] === fg && last[2] === bg && last[3] === attrs) last[0] += cells[i];
    else next.push([cells[i] as string, fg, bg, attrs]);
  }
  // As frameOf: trailing blanks in the default style are left out.
  for (
    let last = next.at(-1);
    last && last[1] === DEFAULT_COLOR && last[2] === DEFAULT_COLOR && last[3] === 0;
  ) {
    last[0] = last[0].replace(/ +$/u, "");
    if (last[0] !== "") break;
    next.pop();
    last = next.at(-1);
  }
  return {
    cols: frame.cols,
    rows: frame.rows,
    changed: [[row, next]],
    cursor: { row, col: col + text.length },
    cursorVisible: frame.cursorVisible,
    alternate: frame.alternate,
  };
}
