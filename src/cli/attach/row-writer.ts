import { codepointWidth } from "../../panes/unicode-widths.js";
import { DEFAULT_STYLE, type RunStyle, sameStyle, sgr } from "./run-style.js";
import { ERASE_LINE, moveTo, RESET_STYLE } from "./terminal-sequences.js";

/** Code points from here on are drawn at widths terminals may disagree on (combining marks, CJK, symbols). */
const FIRST_UNSURE = 0x300;

/**
 * Draws one row of a person's terminal from its first column: the row is erased first (EL after SGR 0, so the
 * default background), then text is written in styles, counting columns with the panes' own widths
 * (codepointWidth). Where the person's terminal may count a character differently the writer re-positions
 * with CUP before the next character: after every character from U+0300 on (combining marks, CJK, East Asian
 * ambiguous widths, box drawing, symbols, emoji) and after a zero-width one. A disagreement then misplaces at
 * most that one character, never what follows it.
 *
 * Security: an attack review printed 60 × U+3248 (one column here, two in glibc's and tmux's tables) before
 * text: re-positioned only at the end of the run, the rest of the line drifted off the person's screen while
 * read_pane gave it to the agent whole.
 * The caller passes only paintable text (paintableText) and validated styles.
 */
export class RowWriter {
  private out: string;
  private style: RunStyle = DEFAULT_STYLE;
  private column = 0;
  /** The next spacing character must be placed with CUP (the terminal's column may differ from ours). */
  private reposition = false;
  /** The last spacing character was drawn, so a zero-width character after it may join it. */
  private lastDrawn = false;

  constructor(private readonly row: number) {
    this.out = `${moveTo(row, 0)}${RESET_STYLE}${ERASE_LINE}`;
  }

  /** The column the next character goes to (0-based). */
  get col(): number {
    return this.column;
  }

  /**
   * Writes `text` in `style` up to column `limit`. A wide character that would cross `limit` becomes a space
   * (in the same style) up to it. Returns the number of UTF-16 code units of `text` written or skipped as
   * zero-width, so the caller can tell whether the text was cut (`< text.length`).
   */
  text(text: string, style: RunStyle, limit: number): number {
    let used = 0;
    for (const char of text) {
      const width = codepointWidth(char.codePointAt(0) as number);
      if (width === 0) {
        if (this.lastDrawn) this.put(char, style);
        this.reposition = true;
        used += char.length;
        continue;
      }
      if (this.column + width > limit) {
        if (this.column < limit) this.put(" ".repeat(limit - this.column), style, limit - this.column);
        this.lastDrawn = false;
        break;
      }
      this.put(char, style, width);
      if ((char.codePointAt(0) as number) >= FIRST_UNSURE) this.reposition = true;
      used += char.length;
    }
    return used;
  }

  /** Moves to column `col` of this row (columns skipped keep the erased default background). */
  skipTo(col: number): void {
    if (col === this.column && !this.reposition) return;
    this.column = col;
    this.reposition = true;
    this.lastDrawn = false;
  }

  /** The row's sequences and text so far, ending in SGR 0. */
  finish(): string {
    return `${this.out}${sameStyle(this.style, DEFAULT_STYLE) ? "" : RESET_STYLE}`;
  }

  private put(text: string, style: RunStyle, width = 0): void {
    if (width > 0 && this.reposition) {
      this.out += moveTo(this.row, this.column);
      this.reposition = false;
    }
    if (!sameStyle(style, this.style)) {
      this.out += sgr(style);
      this.style = style;
    }
    this.out += text;
    this.column += width;
    if (width > 0) this.lastDrawn = true;
  }
}
