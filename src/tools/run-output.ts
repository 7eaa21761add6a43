import { sanitizeText } from "../panes/sanitize.js";

/**
 * A program's output as `run` returns it: the rendered text made safe for the agent (sanitizeText), trailing
 * blank lines dropped (the screen's empty rows below the output), then cut from the top to the last `maxLines`
 * lines and `maxChars` UTF-16 code units. When lines were cut, a first line says how many:
 * `[… N earlier lines truncated …]`. `cut` counts them; a line whose start was cut (the last line alone is longer
 * than maxChars) counts as cut. `maxChars` must leave room for the marker (at least 100).
 */
export function outputTail(raw: string, maxLines: number, maxChars: number): { text: string; cut: number } {
  const lines = sanitizeText(raw).trimEnd().split("\n");
  if (lines.length === 1 && lines[0] === "") return { text: "", cut: 0 };
  const room = maxChars - MARKER_ROOM;
  let first = lines.length;
  let size = 0;
  const oldest = Math.max(0, lines.length - maxLines);
  while (first > oldest) {
    const line = lines[first - 1] as string;
    const next = size + line.length + (first === lines.length ? 0 : 1);
    if (next > room) break;
    size = next;
    first -= 1;
  }
  if (first === lines.length) {
    // Even the last line alone is too long: its end, never split inside a surrogate pair.
    const last = lines[lines.length - 1] as string;
    let start = last.length - room;
    const unit = last.charCodeAt(start);
    if (unit >= 0xdc00 && unit <= 0xdfff) start += 1;
    return { text: `${marker(lines.length)}\n${last.slice(start)}`, cut: lines.length };
  }
  const kept = lines.slice(first).join("\n");
  return first === 0 ? { text: kept, cut: 0 } : { text: `${marker(first)}\n${kept}`, cut: first };
}

/** Room kept for the marker line and its newline. */
const MARKER_ROOM = 48;

function marker(lines: number): string {
  return `[… ${lines} earlier ${lines === 1 ? "line" : "lines"} truncated …]`;
}
