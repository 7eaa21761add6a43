import { sanitizeText } from "../sanitize.js";

/**
 * A path as it may appear in an error or warning the agent and the person read: JSON-quoted (controls,
 * newlines and lone surrogates become `\uXXXX`/`\n`), then sanitized (bidi and invisible characters become
 * visible placeholders). Security: names a pane chose (a directory called ESC]0;…BEL or holding a fake JSON
 * line) must not reach a terminal or a transcript raw. Long names are cut in the middle.
 */
export function quoteName(path: string, max = 300): string {
  const cut = path.length > max ? `${path.slice(0, max / 2)}…${path.slice(-max / 2)}` : path;
  return sanitizeText(JSON.stringify(cut));
}
