/**
 * Finds private-key material in PEM / OpenSSH / OpenPGP armor (RFC 7468 §2–3, RFC 1421 §4.6 headers,
 * PROTOCOL.key of OpenSSH, RFC 4880 §6.2) and replaces only the base64 body lines. The BEGIN and END lines,
 * armor headers and everything around the block are kept.
 *
 * Security: `-----BEGIN PRIVATE KEY-----` without an END line used to redact to the end of the string, so
 * `: -----BEGIN PRIVATE KEY-----; <command>` ran the command and logged only `[REDACTED]`. Now a body is only
 * lines that could be key material: strict base64 (no spaces, `.`, `-`, `_`; `=` only at its end), starting on
 * the line after BEGIN (after any armor headers), starting as a key does (DER SEQUENCE `M…`, OpenSSH's magic,
 * an OpenPGP packet) unless RFC 1421 headers say it is encrypted. With its END line right after it, the body is
 * redacted whole when it decodes as a whole key (DER: the outer length accounts for every byte; encrypted:
 * whole cipher blocks). Otherwise only the leading lines as wide as the first (at least MIN_FULL_LINE) are
 * redacted, and a shorter line after them — a short command word — is kept.
 */

const BEGIN = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/g;
/** An armor header (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: …`, `Version: …`): kept, not part of the body. */
const HEADER = /^[A-Za-z][A-Za-z0-9-]*: .*$/;
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;
/** Longest line any of these encoders writes (PEM 64, OpenSSH 70, MIME-style 76). */
const MAX_LINE = 76;
/** Shortest body taken for a key; a shorter run of letters is kept as typed. */
const MIN_BODY = 16;
/** Narrowest line of a cut-off block (no END) taken for key material; encoders write 64–76. */
const MIN_FULL_LINE = 40;
const OPENSSH_MAGIC = "b3BlbnNzaC1rZXktdjE"; // base64 of "openssh-key-v1"

/** What replaces each redacted body line. */
export const BODY_MARK = "[REDACTED]";

/** `text` with the body lines of every private-key block replaced by BODY_MARK (one mark per block). */
export function redactPem(text: string): string {
  if (!text.includes("-----BEGIN ")) return text;
  let out = "";
  let from = 0;
  for (const match of text.matchAll(BEGIN)) {
    const markerEnd = (match.index ?? 0) + match[0].length;
    if (markerEnd <= from) continue;
    const body = keyBody(text, markerEnd, match[1] ?? "");
    if (body === null) continue;
    out += `${text.slice(from, body.start)}${BODY_MARK}`;
    from = body.end;
  }
  return out + text.slice(from);
}

/** Where the key body after a BEGIN marker (ending at `markerEnd`) starts and ends, or null for none. */
function keyBody(text: string, markerEnd: number, label: string): { start: number; end: number } | null {
  // The body begins on the next line: anything on the BEGIN line itself is not key material.
  const first = /^\r?\n/.exec(text.slice(markerEnd, markerEnd + 2));
  if (!first) return null;
  let at = markerEnd + first[0].length;
  let encrypted = false;
  // Armor headers, then an optional blank line.
  for (;;) {
    const line = lineAt(text, at);
    if (HEADER.test(line.text)) {
      if (/^Proc-Type: 4,ENCRYPTED$/.test(line.text)) encrypted = true;
      at = line.next;
    } else if (line.text === "" && line.next > at && at > markerEnd + first[0].length) {
      at = line.next;
      break;
    } else break;
  }
  const start = at;
  const lines: Array<{ text: string; end: number; next: number }> = [];
  for (;;) {
    const line = lineAt(text, at);
    if (!BASE64_LINE.test(line.text) || line.text.length > MAX_LINE) break;
    lines.push({ text: line.text, end: at + line.text.length, next: line.next });
    at = line.next;
    if (at > text.length) break;
  }
  const width = lines[0]?.text.length ?? 0;
  // A complete block: lines as wide as the first, then one no wider, then the END line. Only then may the
  // shorter last line be key material too, and only when the whole body decodes as this kind of key.
  let last = 0;
  while (last < lines.length - 1 && lines[last]?.text.length === width && !lines[last]?.text.includes("=")) {
    last += 1;
  }
  const tail = lines[last];
  if (tail !== undefined && tail.text.length <= width) {
    const after = lineAt(text, tail.next).text;
    const body = lines
      .slice(0, last + 1)
      .map((line) => line.text)
      .join("");
    if (after === `-----END ${label}-----` && isWholeKey(body, label, encrypted)) {
      return { start, end: tail.end };
    }
  }
  // Otherwise (no END line, or a body that does not decode): only the full-width lines, where a shell
  // command word would have to be as long as a key line; a shorter line after them is kept.
  let full = 0;
  while (full < lines.length && lines[full]?.text.length === width && !lines[full]?.text.includes("="))
    full += 1;
  const fullLines = lines.slice(0, full);
  const chars = fullLines.map((line) => line.text).join("");
  if (width < MIN_FULL_LINE || chars.length < MIN_BODY || !looksLikeKey(chars, label, encrypted)) return null;
  return { start, end: (fullLines.at(-1) as { end: number }).end };
}

/** True when `body` is strict base64 of a whole key of this kind (DER: its outer length matches exactly). */
function isWholeKey(body: string, label: string, encrypted: boolean): boolean {
  if (body.length < MIN_BODY || body.length % 4 !== 0 || !looksLikeKey(body, label, encrypted)) return false;
  const bytes = Buffer.from(body, "base64");
  if (encrypted) return bytes.length % 8 === 0; // CBC ciphertext: whole cipher blocks
  if (label.startsWith("PGP") || label === "OPENSSH PRIVATE KEY") return true;
  // DER SEQUENCE: 0x30, then a short or long-form length that accounts for every remaining byte.
  if (bytes[0] !== 0x30 || bytes.length < 2) return false;
  const first = bytes[1] as number;
  if (first < 0x80) return 2 + first === bytes.length;
  const count = first & 0x7f;
  if (count < 1 || count > 4 || bytes.length < 2 + count) return false;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[2 + i] as number);
  return 2 + count + length === bytes.length;
}

/** True when base64 text starts as key material of this kind does. */
function looksLikeKey(chars: string, label: string, encrypted: boolean): boolean {
  if (encrypted) return true;
  if (label.startsWith("PGP")) return /^[g-z0-9+/]/.test(chars); // a packet tag byte has its top bit set
  if (label === "OPENSSH PRIVATE KEY") return chars.startsWith(OPENSSH_MAGIC);
  return chars.startsWith("M"); // 0x30: a DER SEQUENCE (PKCS#1, PKCS#8, SEC 1)
}

/** The line starting at `at` (without its CR LF / LF) and where the next one starts (past the end: none). */
function lineAt(text: string, at: number): { text: string; next: number } {
  const newline = text.indexOf("\n", at);
  const stop = newline === -1 ? text.length : newline;
  const line = text.slice(at, stop);
  const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
  return { text: trimmed, next: newline === -1 ? text.length + 1 : newline + 1 };
}
