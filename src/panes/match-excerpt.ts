/**
 * What wait_for returns with `return: "match"` (the default): the lines the match is on, and a few lines of
 * context, instead of the whole screen. Lines before the match weigh more than lines after it: an agent that
 * waits for a prompt wants the answer printed above it.
 */
export const EXCERPT_LINES_BEFORE = 5;
export const EXCERPT_LINES_AFTER = 2;
/**
 * At most this many characters (UTF-16 code units) in an excerpt, about 1 000 tokens: the matched lines and
 * context of ordinary width fit whole; a match inside one huge logical line is cut around the match.
 */
export const MAX_EXCERPT_CHARS = 4000;

/** A match's place in (sanitized) text: code-unit offsets, `end` exclusive. */
export interface TextRange {
  start: number;
  end: number;
}

/**
 * The lines of `text` that `range` touches, with up to EXCERPT_LINES_BEFORE lines before and
 * EXCERPT_LINES_AFTER after, within MAX_EXCERPT_CHARS: context lines farthest from the match go first, then the
 * matched lines are cut to a window around the match (marked with `…`). Trailing spaces are kept.
 */
export function matchExcerpt(text: string, range: TextRange, maxChars = MAX_EXCERPT_CHARS): string {
  const lineStart = text.lastIndexOf("\n", range.start - 1) + 1;
  const endBreak = text.indexOf("\n", Math.max(range.start, range.end - 1));
  const lineEnd = endBreak === -1 ? text.length : endBreak;
  const matched = text.slice(lineStart, lineEnd);
  if (matched.length > maxChars) return cutAround(text, range, lineStart, lineEnd, maxChars);
  const before = lastLines(
    text.slice(0, Math.max(0, lineStart - 1)),
    lineStart > 0 ? EXCERPT_LINES_BEFORE : 0,
  );
  const after = firstLines(text.slice(lineEnd + 1), lineEnd < text.length ? EXCERPT_LINES_AFTER : 0);
  let budget = maxChars - matched.length;
  const keptBefore: string[] = [];
  const keptAfter: string[] = [];
  // Nearest lines first; a line that does not fit ends its side.
  for (let i = before.length - 1; i >= 0; i--) {
    const line = before[i] as string;
    if (line.length + 1 > budget) break;
    keptBefore.unshift(line);
    budget -= line.length + 1;
  }
  for (const line of after) {
    if (line.length + 1 > budget) break;
    keptAfter.push(line);
    budget -= line.length + 1;
  }
  return [...keptBefore, matched, ...keptAfter].join("\n");
}

function lastLines(text: string, count: number): string[] {
  if (count === 0) return [];
  return text.split("\n").slice(-count);
}

function firstLines(text: string, count: number): string[] {
  if (count === 0) return [];
  return text.split("\n").slice(0, count);
}

/** A window of `maxChars` around the match inside lines too long to return whole. */
function cutAround(
  text: string,
  range: TextRange,
  lineStart: number,
  lineEnd: number,
  maxChars: number,
): string {
  const room = maxChars - 2; // the two `…`
  const length = Math.min(room, range.end - range.start);
  let start = Math.max(lineStart, range.start - Math.floor((room - length) / 2));
  const end = Math.min(lineEnd, start + room);
  start = Math.max(lineStart, end - room);
  // Never split a surrogate pair at either edge.
  if (isLowSurrogate(text.charCodeAt(start))) start += 1;
  const stop = isLowSurrogate(text.charCodeAt(end)) ? end - 1 : end;
  return `${start > lineStart ? "…" : ""}${text.slice(start, stop)}${stop < lineEnd ? "…" : ""}`;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
