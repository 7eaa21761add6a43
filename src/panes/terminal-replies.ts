/**
 * The emulator answers device queries a pane writes (cursor position, device attributes, mode reports) by
 * emitting the reply through `onData`, and the pane host writes that reply back into the pty, as a real
 * terminal would. A reply that echoes anything the pane controls — a title, a colour, a DECRQSS setting —
 * lets the pane type into its own input: set the title to "rm -rf ~\r", request a title report, and a
 * shell reading the reply runs it (CVE-2003-0063 and its family). So only replies built from the
 * emulator's own numbers pass.
 */

// Each reply is numbers only; `\d{1,5}` bounds each parameter so no reply is longer than it needs to be.
const NUMBER = String.raw`\d{1,5}`;
const SAFE_REPLY = [
  // CPR `ESC[row;colR` (answer to DSR 6) and DECXCPR `ESC[?row;col(;page)R` (answer to DSR ?6).
  String.raw`\x1b\[\??${NUMBER};${NUMBER}(?:;${NUMBER})?R`,
  // Device status `ESC[0n` ("ready", answer to DSR 5) and `ESC[3n` ("malfunction").
  String.raw`\x1b\[[03]n`,
  // DA1 `ESC[?1;2c` and DA2 `ESC[>0;276;0c`: fixed device identity, parameters only.
  String.raw`\x1b\[[?>]${NUMBER}(?:;${NUMBER})*c`,
  // DECRQM report `ESC[?mode;value$y` (DEC private) or `ESC[mode;value$y` (ANSI).
  String.raw`\x1b\[\??${NUMBER};${NUMBER}\$y`,
].join("|");

// Anchored at both ends, and `+` because one onData call may carry several replies back to back.
// Security: escape-sequence reply injection (title/colour/DECRQSS reports typed into the pane's input).
const SAFE_REPLIES = new RegExp(`^(?:${SAFE_REPLY})+$`);

/**
 * True when `data` (one `onData` payload of the emulator) consists only of replies that carry no
 * pane-controlled content: cursor position reports, device status, DA1/DA2, DECRQM mode reports.
 * Everything else — OSC (titles, colours, clipboard), DCS (DECRQSS, XTGETTCAP, DA3), window reports,
 * focus and mouse reports, plain text, the empty string — is refused and must not reach the pty.
 */
export function isSafeReply(data: string): boolean {
  return SAFE_REPLIES.test(data);
}
