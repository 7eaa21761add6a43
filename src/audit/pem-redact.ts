/**
 * Finds private-key material in PEM / OpenSSH / OpenPGP armor (RFC 7468 §2–3, RFC 1421 §4.6 headers,
 * PROTOCOL.key of OpenSSH, RFC 4880 §6.2) and replaces only the base64 body lines. The BEGIN and END lines,
 * armor headers and everything around the block are kept.
 *
 * Security: `-----BEGIN PRIVATE KEY-----` without an END line used to redact to the end of the string, so
 * `: -----BEGIN PRIVATE KEY-----; <command>` ran the command and logged only `[REDACTED]`. Now a body is only
 * lines that could be key material: strict base64 (no spaces, `.`, `-`, `_`; `=` only at its end), starting on
 * the line after BEGIN, at least MIN_BODY characters, every line as long as the first but the last, and
 * starting as a key does (DER SEQUENCE `M…`, OpenSSH's magic, an OpenPGP packet) unless RFC 1421 headers say
 * it is encrypted. The first line that is not such a line ends the body and is kept.
 */

const BEGIN = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/g;
/** An armor header (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: …`, `Version: …`): kept, not part of the body. */
const HEADER = /^[A-Za-z][A-Za-z0-9-]*: .*$/;
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;
/** Longest line any of these encoders writes (PEM 64, OpenSSH 70, MIME-style 76). */
const MAX_LINE = 76;
/** Shortest body taken for a key; a shorter run of letters is kept as typed. */
const MIN_BODY = 16;
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
  let width = 0;
  let chars = "";
  let end = start;
  for (;;) {
    const line = lineAt(text, at);
    if (!BASE64_LINE.test(line.text) || line.text.length > MAX_LINE) break;
    if (width === 0) width = line.text.length;
    else if (line.text.length > width) break;
    chars += line.text;
    end = at + line.text.length;
    const last = line.text.length < width || line.text.endsWith("=");
    at = line.next;
    if (last || at > text.length) break;
  }
  if (chars.length < MIN_BODY || !looksLikeKey(chars, label, encrypted)) return null;
  return { start, end };
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
