import { byteIndex } from "./byte-search.js";

const ESC = 0x1b;
/** CSI as a C1 control: U+009B, bytes C2 9B in UTF-8 (xterm's parser enters CSI on it as on ESC [). */
const C1_LEAD = 0xc2;
const C1_CSI = 0x9b;
const CAN = 0x18;
const SUB = 0x1a;
const DEL = 0x7f;
const QUESTION = 0x3f;

/** CSI finals whose work scales with the screen's area (cols × rows), after emulator-guards.ts's clamps. */
const AREA_FINALS = new Set([..."bSTLMJ"].map((char) => char.charCodeAt(0))); // REP, SU, SD, IL, DL, ED
/** Private-mode finals (CSI ? … h / l): switching to or from the alternate screen fills or copies it. */
const MODE_FINALS = new Set([..."hl"].map((char) => char.charCodeAt(0)));

/**
 * Where a piece of pty output should end so that it holds at most `allowed` sequences whose cost scales with
 * the screen's area: CSI REP, SU, SD, IL, DL, ED and private mode changes (the alternate screen), ESC c (RIS)
 * and ESC # 8 (DECALN), each measured at 0.3–2.7 ms on a 400×200 screen, against ~0.1 µs for an SGR.
 * Returns the index just after the `allowed`-th such sequence's final byte, or `to` when `[from, to)` holds
 * fewer. A CSI still open at `to` counts as one (its final comes in the next piece).
 *
 * The scan follows xterm's parser (a VT500 parser) as far as it decides the final byte: parameters and
 * intermediates (0x20–0x3F), C0 controls executed inside the sequence and DEL are skipped; ESC, CAN and SUB
 * end it. Cost: a native search for ESC and for 0x9B over the range, then a few steps per sequence found.
 */
export function endAfterCostlySequences(
  bytes: Uint8Array,
  from: number,
  to: number,
  allowed: number,
): number {
  // The searches stop at `to`: a piece is a few KB of a batch of up to 240 KB, and searching from each piece to
  // the end of its batch cut a plain-text flood's rate to a fifth.
  const within = bytes.subarray(0, to);
  let found = 0;
  let nextEsc = byteIndex(within, ESC, from);
  let nextC1 = byteIndex(within, C1_CSI, from);
  let at = from;
  for (;;) {
    if (nextEsc !== -1 && nextEsc < at) nextEsc = byteIndex(within, ESC, at);
    if (nextC1 !== -1 && nextC1 < at) nextC1 = byteIndex(within, C1_CSI, at);
    const escAt = nextEsc === -1 || nextEsc >= to ? to : nextEsc;
    const c1At = nextC1 === -1 || nextC1 >= to ? to : nextC1;
    if (escAt === to && c1At === to) return to;
    let end: number; // just after the sequence, when it is costly
    if (escAt < c1At) {
      end = afterCostlyEscape(bytes, escAt, to);
      at = escAt + 1;
    } else {
      // 0x9B is also a UTF-8 continuation byte (U+00DB … in many scripts): only C2 9B is the control.
      end = c1At > 0 && bytes[c1At - 1] === C1_LEAD ? afterCostlyCsi(bytes, c1At + 1, to) : -1;
      at = c1At + 1;
    }
    if (end === -1) continue;
    found += 1;
    if (found >= allowed) return Math.min(end, to);
    at = Math.max(at, end);
  }
}

/** For ESC at `at`: the index after the sequence when it is a costly one, else -1. */
function afterCostlyEscape(bytes: Uint8Array, at: number, to: number): number {
  if (at + 1 >= to) return -1; // a lone ESC: whatever follows starts the next piece as a plain escape
  const next = bytes[at + 1];
  if (next === 0x5b) return afterCostlyCsi(bytes, at + 2, to); // [
  if (next === 0x63) return at + 2; // c: RIS
  if (next === 0x23) return at + 2 < to && bytes[at + 2] !== 0x38 ? -1 : at + 3; // # 8: DECALN
  return -1;
}

/** For a CSI whose parameters start at `at`: the index after its final byte when it is costly, else -1. */
function afterCostlyCsi(bytes: Uint8Array, at: number, to: number): number {
  let mode = false;
  for (let index = at; index < to; index++) {
    const byte = bytes[index] as number;
    if (byte === QUESTION) mode = true;
    if (byte === ESC || byte === CAN || byte === SUB) return -1; // the sequence is cancelled
    if (byte < 0x40 || byte === DEL) continue; // parameters, intermediates, C0 executed in place, DEL
    if (byte > 0x7e) return -1; // not a final byte: xterm drops the sequence
    return AREA_FINALS.has(byte) || (mode && MODE_FINALS.has(byte)) ? index + 1 : -1;
  }
  return to + 1; // open at the end of the piece: counted, cut at `to`
}
