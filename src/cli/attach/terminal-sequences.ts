/**
 * Every control sequence `ccmux attach` ever writes to a person's terminal (seed §4.2). The painter builds
 * its output only from these and printable text, so nothing a pane chooses — a title, a clipboard write, a
 * hyperlink, a DCS/APC/PM/SOS string, a mode change, a charset switch or a query — can reach the person's
 * terminal.
 */

const CSI = "\x1b[";

/** Erase in line from the cursor to the end (EL 0), in the current background colour. */
export const ERASE_LINE = `${CSI}K`;
/** Erase the whole screen (ED 2), in the current background colour. */
export const ERASE_SCREEN = `${CSI}2J`;
/** Show the cursor (DECTCEM set). */
export const SHOW_CURSOR = `${CSI}?25h`;
/** Hide the cursor (DECTCEM reset). */
export const HIDE_CURSOR = `${CSI}?25l`;
/** Reset every attribute and both colours (SGR 0). */
export const RESET_STYLE = `${CSI}0m`;

/**
 * Take over the person's terminal for attach: the alternate screen (their shell's screen comes back on
 * leave), no autowrap (a character their terminal counts wider than ccmux does cannot wrap onto the next row
 * or scroll the screen), cleared, cursor hidden. ccmux's own sequence, never the pane's.
 */
export const ENTER_ATTACH = `${CSI}?1049h${CSI}?7l${RESET_STYLE}${ERASE_SCREEN}${HIDE_CURSOR}`;

/** Give the terminal back: default style, autowrap and cursor on again, the person's own screen restored. */
export const LEAVE_ATTACH = `${RESET_STYLE}${CSI}?7h${SHOW_CURSOR}${CSI}?1049l`;

/**
 * Cursor position (CUP) to 0-based `row`, `col`, written 1-based as the terminal counts.
 * Security: only non-negative integers reach the sequence; anything else is a bug in the caller, so it throws
 * rather than write a malformed sequence.
 */
export function moveTo(row: number, col: number): string {
  // Security: a malformed CUP (a NaN or fraction) would be parsed as some other sequence.
  if (!Number.isSafeInteger(row) || !Number.isSafeInteger(col) || row < 0 || col < 0) {
    throw new RangeError(`moveTo: expected non-negative integers, got row ${row}, col ${col}`);
  }
  return `${CSI}${row + 1};${col + 1}H`;
}
