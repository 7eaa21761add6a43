import { sanitizeText } from "../panes/sanitize.js";

/** Deepest nesting walked when sanitizing what the server sends; deeper values are replaced, not walked. */
const MAX_DEPTH = 64;

/** What a newline inside a one-line field (an error message) becomes: visible, and no longer a line break. */
const NEWLINE_MARK = "⟨U+000A⟩";

/**
 * Text for a field that must stay one line (an error's message): sanitized (no ESC, OSC, C0/C1 controls,
 * bidi or invisible characters) and every newline shown as `⟨U+000A⟩`.
 */
export function sanitizeLine(text: string): string {
  return sanitizeText(text).replaceAll("\n", NEWLINE_MARK);
}

/**
 * A copy of `value` with every string — object keys included — passed through the pane-text sanitizer. For
 * everything the server sends an agent: results, structured content, error data, notification payloads.
 * Shapes are kept; a value nested deeper than MAX_DEPTH (never built by the server) becomes a placeholder.
 */
export function sanitizeDeep<T>(value: T, depth = 0): T {
  if (typeof value === "string") return sanitizeText(value) as T;
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "⟨nested too deep⟩" as T;
  if (Array.isArray(value)) return value.map((item) => sanitizeDeep(item, depth + 1)) as T;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [sanitizeLine(key), sanitizeDeep(item, depth + 1)]),
  ) as T;
}
