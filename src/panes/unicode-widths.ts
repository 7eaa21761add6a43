import type { IUnicodeVersionProvider, Terminal } from "@xterm/headless";
import { eastAsianWidth } from "get-east-asian-width";

/**
 * Columns per code point, as the programs in a pane count them: glibc's wcwidth (what bash, readline, vim,
 * less and ncurses call) and Node's string-width both derive widths from the Unicode data the same way, and
 * this provider follows them:
 * - 0 for nonspacing and enclosing marks and format characters (general categories Mn, Me, Cf), and for
 *   the medial vowels and final consonants of conjoining Hangul (U+1160–U+11FF, U+D7B0–U+D7FF);
 * - except the soft hyphen and the prepended concatenation marks (Arabic number signs and the like), which
 *   take one column;
 * - 2 for East Asian Wide and Fullwidth characters, which include every emoji with emoji presentation;
 * - 1 for everything else.
 * Sources: glibc localedata/unicode-gen/utf8_gen.py (`wcwidth` rules), Unicode UAX #11; the East Asian Width
 * table comes from `get-east-asian-width` (Unicode 16), the general categories from the runtime's ICU.
 *
 * Why: xterm.js defaults to Unicode 6 widths, where 😀 takes one column; bash then put its cursor one column
 * off the screen ccmux showed, and `printf '😀\e[3GZ|'` read back as `😀 Z|`. Measured against this machine's
 * glibc 2.36 over U+0020–U+3FFFF, 133 code points differ (all assigned after Unicode 15; xterm's Unicode 11
 * addon differs on 891).
 *
 * Grapheme clusters are not joined into one cell (xterm's experimental grapheme mode): a ZWJ emoji sequence
 * takes the sum of its parts, as wcwidth counts it, so the program and the screen still agree on columns.
 */
export const WCWIDTH_VERSION = "wcwidth-unicode16";

const ZERO_WIDTH_CATEGORY = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

/** Widths computed so far, per code point: 0 unknown, else width + 1 (a lookup costs one array read). */
const known = new Uint8Array(0x110000);

function computeWidth(codepoint: number): 0 | 1 | 2 {
  if (codepoint === 0xad) return 1;
  // Prepended concatenation marks (Cf, but they carry a visible sign).
  if (
    (codepoint >= 0x600 && codepoint <= 0x605) ||
    codepoint === 0x6dd ||
    codepoint === 0x70f ||
    codepoint === 0x890 ||
    codepoint === 0x891 ||
    codepoint === 0x8e2 ||
    codepoint === 0x110bd ||
    codepoint === 0x110cd
  ) {
    return 1;
  }
  if ((codepoint >= 0x1160 && codepoint <= 0x11ff) || (codepoint >= 0xd7b0 && codepoint <= 0xd7ff)) return 0;
  if (codepoint >= 0xd800 && codepoint <= 0xdfff) return 1;
  if (ZERO_WIDTH_CATEGORY.test(String.fromCodePoint(codepoint))) return 0;
  return eastAsianWidth(codepoint) === 2 ? 2 : 1;
}

/** Columns `codepoint` takes (0, 1 or 2); control characters count 1 (the emulator never prints them). */
export function codepointWidth(codepoint: number): 0 | 1 | 2 {
  if (codepoint < 0x7f) return 1;
  if (codepoint > 0x10ffff) return 1;
  const cached = known[codepoint] as number;
  if (cached !== 0) return (cached - 1) as 0 | 1 | 2;
  const width = computeWidth(codepoint);
  known[codepoint] = width + 1;
  return width;
}

/** xterm's property value: join state (unused: 0), width, and whether the code point joins the previous cell. */
function propertyValue(width: number, shouldJoin: boolean): number {
  return ((width & 3) << 1) | (shouldJoin ? 1 : 0);
}

/** Width of a property value made by `propertyValue` (xterm's UnicodeService.extractWidth). */
function widthOf(properties: number): number {
  return (properties >> 1) & 3;
}

const provider: IUnicodeVersionProvider = {
  version: WCWIDTH_VERSION,
  wcwidth: codepointWidth,
  // As xterm's own per-code-point providers do: a zero-width code point joins the cell before it.
  charProperties(codepoint: number, preceding: number): number {
    let width: number = codepointWidth(codepoint);
    let shouldJoin = width === 0 && preceding !== 0;
    if (shouldJoin) {
      const before = widthOf(preceding);
      if (before === 0) shouldJoin = false;
      else if (before > width) width = before;
    }
    return propertyValue(width, shouldJoin);
  },
};

/** Makes `term` count columns as wcwidth does (see WCWIDTH_VERSION). Needs `allowProposedApi`. */
export function useProgramWidths(term: Terminal): void {
  term.unicode.register(provider);
  term.unicode.activeVersion = WCWIDTH_VERSION;
}
