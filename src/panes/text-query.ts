import { compileWaitRegex, compileWaitRegexLocator } from "../shared/wait-regex.js";
import { matchExcerpt, type TextRange } from "./match-excerpt.js";
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

/** Where a query first matches in already sanitized text (see compileLocator). */
export type Locate = (sanitized: string) => TextRange | undefined;

/** Like compileQuery, but says where the first match is, in text the caller sanitized. */
export function compileLocator(query: TextQuery): Locate {
  if ("text" in query) {
    const needle = query.text;
    return (text) => {
      const start = text.indexOf(needle);
      return start === -1 ? undefined : { start, end: start + needle.length };
    };
  }
  return compileWaitRegexLocator(query.regex);
}

/**
 * The excerpt around the first match of `locate` in `text` (sanitized here; searched in the same overlapping
 * windows as searchWindows), or undefined when there is none. See matchExcerpt.
 */
export function excerptOfMatch(text: string, locate: Locate): string | undefined {
  const sanitized = sanitizeText(text);
  if (sanitized.length <= WINDOW_CHARS) {
    const range = locate(sanitized);
    return range && matchExcerpt(sanitized, range);
  }
  for (let start = 0; start < sanitized.length; start += WINDOW_CHARS - WINDOW_OVERLAP_CHARS) {
    const range = locate(sanitized.slice(start, start + WINDOW_CHARS));
    if (range) return matchExcerpt(sanitized, { start: start + range.start, end: start + range.end });
    if (start + WINDOW_CHARS >= sanitized.length) break;
  }
  return undefined;
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
  private readonly locators = new Map<string, Locate>();

  locator(query: TextQuery): Locate {
    const key = JSON.stringify(query);
    let locate = this.locators.get(key);
    if (!locate) {
      locate = compileLocator(query);
      if (this.locators.size >= 64) this.locators.clear();
      this.locators.set(key, locate);
    }
    return locate;
  }

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
