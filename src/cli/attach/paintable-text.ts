import { sanitizeText } from "../../panes/sanitize.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it removes.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;

/**
 * Text as it may be written to a person's terminal: `text` passed through sanitizeText (placeholders for
 * controls, bidi, invisible and tag characters, the same the agent reads), then every C0, DEL and C1 code
 * point still there (sanitizeText keeps "\n") dropped. Anything but a string is empty text.
 * Security: a frame is untrusted even though its builder sanitized it (it crossed a socket, and a builder can
 * have a bug); without this an ESC or a C1 CSI/OSC/DCS in a run would start a sequence the pane chose: a
 * title, an OSC 52 clipboard write, an OSC 8 hyperlink, a mode change, a charset switch or a query.
 */
export function paintableText(text: unknown): string {
  if (typeof text !== "string") return "";
  // Security: escape injection through frame text (titles, OSC 52/8, DCS/APC/PM/SOS, modes, queries).
  return sanitizeText(text).replace(CONTROL, "");
}
