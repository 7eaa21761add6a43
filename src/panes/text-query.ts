import { compileWaitRegex } from "../shared/wait-regex.js";
import { sanitizeText } from "./sanitize.js";

/** What wait_for looks for: literal text or an RE2 pattern, both matched against sanitized text. */
export type TextQuery = { text: string } | { regex: string };

/** The matcher sees at most this much text at once (bounded input); longer text is searched in windows. */
const WINDOW_CHARS = 256 * 1024;
/** Consecutive windows overlap by this much, so a match up to this long is never cut in two. */
const WINDOW_OVERLAP_CHARS = 8 * 1024;

/**
 * A predicate for `query` over rendered text. Text is sanitized first, so a query matches exactly what
 * read_pane would show (hidden characters cannot be probed). RE2 semantics: linear time in the input, the
 * program bounded by compileWaitRegex (throws CcmuxError INVALID_ARGUMENT). wait_for matches regexes on a
 * thread of their own (RegexMatcher), never on the screen thread.
 */
export function compileQuery(query: TextQuery): (text: string) => boolean {
  if ("text" in query) {
    const needle = query.text;
    return (text) => sanitizeText(text).includes(needle);
  }
  const test = compileWaitRegex(query.regex);
  return (text) => test(sanitizeText(text));
}

/** True when `matches` accepts any window of `text` (all of it, in overlapping windows when it is long). */
export function searchWindows(text: string, matches: (text: string) => boolean): boolean {
  if (text.length <= WINDOW_CHARS) return matches(text);
  for (let start = 0; start < text.length; start += WINDOW_CHARS - WINDOW_OVERLAP_CHARS) {
    if (matches(text.slice(start, start + WINDOW_CHARS))) return true;
    if (start + WINDOW_CHARS >= text.length) break;
  }
  return false;
}

/** Compiled queries, reused across the checks of one wait (and across waits for the same text). */
export class QueryCache {
  private readonly compiled = new Map<string, (text: string) => boolean>();

  get(query: TextQuery): (text: string) => boolean {
    const key = JSON.stringify(query);
    let matcher = this.compiled.get(key);
    if (!matcher) {
      matcher = compileQuery(query);
      if (this.compiled.size >= 64) this.compiled.clear();
      this.compiled.set(key, matcher);
    }
    return matcher;
  }
}
