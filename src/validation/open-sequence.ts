/**
 * A lone ESC, `ESC [` or `ESC O` with nothing after (M-[ and M-O send just that), or a CSI whose parameters have
 * not reached their final byte (ECMA-48 5.4: parameters 0x30–0x3F, intermediates 0x20–0x2F, final 0x40–0x7E).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what the pattern is about.
const OPEN_AT_END = /\x1b(?:\[[0-?]*[ -/]*|O)?$/;

/**
 * Whether a program reading `bytes` would take the next bytes it receives as the rest of the same key: Escape
 * then Enter, written together, is `ESC CR`, which every key parser reads as Alt+Enter. Such a keystroke must be
 * read (and the program's escape timeout pass) before the next is written.
 */
export function endsInOpenSequence(bytes: string): boolean {
  return OPEN_AT_END.test(bytes);
}
