/**
 * The last step between rendered pane text and the agent (seed §4.2). The emulator has already executed
 * every escape sequence; what is left to stop is text that is invisible, reorders what a person sees, or
 * smuggles instructions past a human reviewer. Those characters are replaced by a visible placeholder
 * such as `⟨U+202E⟩`, so both the agent and a person reading its transcript see that something was there.
 */

/**
 * The most text one read returns, in UTF-16 code units. Claude Code caps an MCP tool result at 25 000
 * tokens by default (MAX_MCP_OUTPUT_TOKENS); terminal text averages roughly 3.6–4 characters a token, so
 * 90 000 characters stays near or under that cap while still holding about a thousand full-width lines.
 */
export const MAX_RESULT_CHARS = 90_000;

const TAG_FIRST = 0xe0000;
const TAG_LAST = 0xe007f;
const VS_SUPPLEMENT_FIRST = 0xe0100;
const VS_SUPPLEMENT_LAST = 0xe01ef;
/** At most this many groups are spelled out inside one placeholder; the rest are counted. */
const MAX_PLACEHOLDER_GROUPS = 4;

// Noncharacters: U+FDD0–U+FDEF and the last two code points of every plane.
const NONCHARACTERS = [
  "\\uFDD0-\\uFDEF",
  ...Array.from({ length: 17 }, (_, plane) => {
    const base = (plane * 0x10000 + 0xfffe).toString(16);
    return `\\u{${base}}\\u{${(plane * 0x10000 + 0xffff).toString(16)}}`;
  }),
].join("");

// Always replaced: controls, format characters (bidi controls, zero-width characters, tag characters,
// interlinear annotations, soft hyphen), every Default_Ignorable_Code_Point (variation selectors, Hangul
// fillers U+115F/U+1160/U+3164/U+FFA0, U+180B–U+180F, …), lone surrogates, line/paragraph separators and
// noncharacters. Newline, tab, CR, ZWJ and VS15/VS16 are carved out and get their own rules below.
// Private-use characters (Nerd Font / powerline glyphs in prompts) and unassigned code points (emoji newer
// than the runtime's Unicode tables) are kept: both render as visible glyphs or boxes, neither reorders nor
// hides text.
// U+2800 (braille pattern blank) draws nothing either, though Unicode files it as a symbol.
const ALWAYS = String.raw`[[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Cs}\p{Zl}\p{Zp}\u2800${NONCHARACTERS}]--[\n\t\r\u200D\uFE0E\uFE0F]]`;
const EMOJI_BEFORE_ZWJ = String.raw`\p{Extended_Pictographic}[\p{Emoji_Modifier}\uFE0F]?`;
// ZWJ is kept only inside an emoji ZWJ sequence (👨‍👩‍👧, 🏳️‍🌈): right after an emoji (optionally with a
// skin tone or VS16) and right before another. Anywhere else it is an invisible mark and is replaced.
const LOOSE_ZWJ = String.raw`\u200D(?!(?<=${EMOJI_BEFORE_ZWJ}\u200D)\p{Extended_Pictographic})`;
// VS15/VS16 choose text or emoji presentation and are kept once after a character; a run of variation
// selectors is the "emoji smuggling" encoding, so every selector after another selector is replaced.
// A selector with nothing visible before it (start of text, a blank, or a replaced character) selects nothing.
const STACKED_VS = String.raw`[\uFE0E\uFE0F](?<=(?:^|[\n\t\r \uFE00-\uFE0F\u{E0100}-\u{E01EF}]|${ALWAYS})[\uFE0E\uFE0F])`;
const LONE_CR = String.raw`\r(?!\n)`;

// One pass over the text: CRLF becomes LF, a tab becomes a space (the emulator already expanded tabs
// into cells, so a tab here carries no layout), and each run of forbidden characters becomes one placeholder.
// Security: Trojan Source (bidi overrides), invisible-text prompt injection, escape sequences in text.
const PATTERN = new RegExp(String.raw`\r\n|\t|(?:${ALWAYS}|${LOOSE_ZWJ}|${STACKED_VS}|${LONE_CR})+`, "gv");

// Fast path: a text with none of these UTF-16 code units holds nothing PATTERN replaces (every astral
// character is a surrogate pair, so it takes the full pass). PATTERN's Unicode-property class scans about
// ten times slower than plain BMP classes, and V8 scans a class of more than ~16 ranges slowly too, hence
// two short ones. test/unit/sanitize.test.ts checks every code point, so a newer Unicode cannot slip past.
// biome-ignore lint/suspicious/noControlCharactersInRegex lint/suspicious/noMisleadingCharacterClass: single code units on purpose.
const MAYBE_CONTROL = /[\0-\t\v-\x1f\x7f-\x9f\xad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2]/;
const MAYBE_FORMAT =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: single code units on purpose, surrogates included.
  /[\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u2800\u3164\ud800-\udfff\ufdd0-\ufdef\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\ufffe\uffff]/;

/**
 * Returns `text` with no ESC, no C0 control but "\n", no DEL, no C1 control, no bidi control, no
 * zero-width or other invisible format character, no tag character, no stacked variation selector, no
 * lone surrogate and no noncharacter. Each run of such characters becomes one visible placeholder
 * (`⟨U+202E⟩`, `⟨U+200B×3 U+2060⟩`, `⟨TAG×42⟩`); CRLF becomes "\n" and a tab one space. Idempotent.
 */
export function sanitizeText(text: string): string {
  if (!MAYBE_CONTROL.test(text) && !MAYBE_FORMAT.test(text)) return text;
  return text.replace(PATTERN, replaceMatch);
}

/**
 * sanitizeText over text made of pieces (a screen row's styled runs): each piece's share of
 * `sanitizeText(pieces.join(""))`, so the shares joined are exactly that text. A placeholder belongs to the
 * piece in which the characters it replaces begin; a piece wholly inside another's placeholder becomes "".
 * Sanitizing each piece alone could differ: a run of invisible characters across two pieces would give two
 * placeholders, and an emoji ZWJ sequence split between pieces would lose its ZWJ.
 */
export function sanitizePieces(pieces: readonly string[]): string[] {
  const text = pieces.join("");
  if (!MAYBE_CONTROL.test(text) && !MAYBE_FORMAT.test(text)) return [...pieces];
  const out = pieces.map(() => "");
  let piece = 0;
  let pieceEnd = pieces[0]?.length ?? 0;
  let at = 0;
  /** Moves to the piece holding the character at `at`. */
  const seek = (): void => {
    while (at >= pieceEnd && piece < pieces.length - 1) {
      piece += 1;
      pieceEnd += (pieces[piece] as string).length;
    }
  };
  const copyTo = (end: number): void => {
    while (at < end) {
      seek();
      const stop = Math.min(end, pieceEnd);
      out[piece] += text.slice(at, stop);
      at = stop;
    }
  };
  for (const match of text.matchAll(PATTERN)) {
    copyTo(match.index);
    seek();
    out[piece] += replaceMatch(match[0]);
    at = match.index + match[0].length;
  }
  copyTo(text.length);
  return out;
}

/** Placeholders of short runs already made: a screen of invisible marks repeats the same few runs per cell. */
const placeholders = new Map<string, string>();
const CACHED_RUN_UNITS = 64;
const CACHED_RUNS = 1024;

function replaceMatch(match: string): string {
  if (match === "\r\n") return "\n";
  if (match === "\t") return " ";
  if (match.length > CACHED_RUN_UNITS) return placeholder(match);
  let made = placeholders.get(match);
  if (made === undefined) {
    made = placeholder(match);
    if (placeholders.size >= CACHED_RUNS) placeholders.clear();
    placeholders.set(match, made);
  }
  return made;
}

function groupLabel(codePoint: number): string {
  // Security: ASCII smuggling (tag characters) and emoji smuggling (variation selectors) — the hidden
  // payload is never spelled out, only counted, so the placeholder cannot carry it on.
  if (codePoint >= TAG_FIRST && codePoint <= TAG_LAST) return "TAG";
  if (codePoint >= VS_SUPPLEMENT_FIRST && codePoint <= VS_SUPPLEMENT_LAST) return "VS";
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** `⟨U+200B×3 U+2060⟩`: consecutive equal labels are counted, at most a few groups are spelled out. */
function placeholder(run: string): string {
  const labels: string[] = [];
  const counts: number[] = [];
  let hidden = 0;
  for (const char of run) {
    const label = groupLabel(char.codePointAt(0) ?? 0);
    const last = labels.length - 1;
    // Once one character is only counted, all after it are: a later one equal to the last group's label is not
    // next to that group (⟨U+202E U+2066 U+200F U+061C×3 +6 more⟩ read as three U+061C in a row).
    if (hidden > 0) hidden += 1;
    else if (labels[last] === label) counts[last] = (counts[last] ?? 0) + 1;
    else if (labels.length < MAX_PLACEHOLDER_GROUPS) {
      labels.push(label);
      counts.push(1);
    } else hidden += 1;
  }
  const parts = labels.map((label, i) => ((counts[i] ?? 1) > 1 ? `${label}×${counts[i]}` : label));
  if (hidden > 0) parts.push(`+${hidden} more`);
  return `⟨${parts.join(" ")}⟩`;
}

/**
 * Keeps the end of `text` (the newest lines) within `maxChars` UTF-16 code units, cutting at a line
 * boundary and starting with a marker line `[… N earlier lines truncated …]`. Only when the last line
 * alone is too long is it cut inside, never between the halves of a surrogate pair. `cutBefore`: what was
 * already cut ahead of `text` (sanitizeTail): its lines count in the marker, which is then always there, and
 * `midLine` says `text` starts inside a line.
 */
export function truncateTail(
  text: string,
  maxChars: number,
  cutBefore = { lines: 0, midLine: false },
): { text: string; truncated: boolean } {
  const precut = cutBefore.lines > 0 || cutBefore.midLine;
  if (text.length <= maxChars && !precut) return { text, truncated: false };
  // Reserve room for the longest marker this text could need (its count has at most this many digits).
  const reserve = marker(cutBefore.lines + countNewlines(text, text.length), true).length + 1;
  if (maxChars < reserve + 1) {
    throw new RangeError(`truncateTail: maxChars must be at least ${reserve + 1}, got ${maxChars}`);
  }
  if (text.length <= maxChars - reserve)
    return { text: `${marker(cutBefore.lines, cutBefore.midLine)}\n${text}`, truncated: true };
  let start = text.length - (maxChars - reserve);
  const lineEnd = text.indexOf("\n", start - 1);
  const midLine = lineEnd === -1 || lineEnd + 1 >= text.length;
  if (midLine) {
    if (isLowSurrogate(text.charCodeAt(start))) start += 1;
  } else {
    start = lineEnd + 1;
  }
  const header = marker(cutBefore.lines + countNewlines(text, start), midLine);
  return { text: `${header}\n${text.slice(start)}`, truncated: true };
}

/** sanitizeTail sanitizes at most this many times `maxChars` of the text's end. */
const SANITIZED_WINDOW = 2;

/**
 * truncateTail(sanitizeText(raw), maxChars), sanitizing only the end of `raw` that can be kept: its last
 * SANITIZED_WINDOW × maxChars code units, from a line start (inside the last line only when it alone is
 * longer). The result is the same unless runs of invisible characters shrank to placeholders by more than
 * half, when fewer lines are kept than would fit.
 *
 * Security: sanitizing is the costly step of a read (36 ns a code unit in runs of invisible characters), and a
 * 400×200 screen whose cells each hold 31 zero-width spaces is 2.56 M units: each read of it held the server's
 * main thread, where every call of every pane waits, for 0.3–0.6 s (attack review). What a read returns was
 * bounded; now what it sanitizes is too.
 */
export function sanitizeTail(raw: string, maxChars: number): { text: string; truncated: boolean } {
  const window = maxChars * SANITIZED_WINDOW;
  if (raw.length <= window) return truncateTail(sanitizeText(raw), maxChars);
  let start = raw.length - window;
  const lineEnd = raw.indexOf("\n", start - 1);
  const midLine = lineEnd === -1 || lineEnd + 1 >= raw.length;
  if (!midLine) start = lineEnd + 1;
  else if (isLowSurrogate(raw.charCodeAt(start))) start += 1;
  return truncateTail(sanitizeText(raw.slice(start)), maxChars, {
    lines: countNewlines(raw, start),
    midLine,
  });
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * Keeps the last `maxLines` lines of `text`, led by the same marker line as truncateTail when earlier lines
 * were cut.
 */
export function truncateLines(text: string, maxLines: number): { text: string; truncated: boolean } {
  let start = text.length;
  for (let kept = 0; kept < maxLines; kept++) {
    if (start === 0) return { text, truncated: false };
    start = text.lastIndexOf("\n", start - 1);
    if (start < 0) return { text, truncated: false };
  }
  const cut = countNewlines(text, start) + 1;
  return { text: `${marker(cut, false)}\n${text.slice(start + 1)}`, truncated: true };
}

function marker(lines: number, midLine: boolean): string {
  const noun = lines === 1 ? "line" : "lines";
  return midLine
    ? `[… ${lines} earlier ${noun} and the start of this line truncated …]`
    : `[… ${lines} earlier ${noun} truncated …]`;
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) count += 1;
  return count;
}
