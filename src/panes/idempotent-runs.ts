import { byteIndex } from "./byte-search.js";

const ESC = 0x1b;

/**
 * Sequences that leave the terminal in the same state however often they repeat back to back, each spelled
 * as its bytes after ESC: RIS (ESC c, a full reset) and DECALN (ESC # 8, fill the screen with E). Neither
 * replies to the pty nor scrolls; ESC starts a new sequence from any parser state (VT500 "anywhere"
 * transition, as in xterm's EscapeSequenceParser), so each copy in a run is parsed as the same sequence.
 */
const IDEMPOTENT: readonly (readonly number[])[] = [
  [0x63], // c: RIS
  [0x23, 0x38], // # 8: DECALN
];

/**
 * `chunk` with every run of two or more identical idempotent sequences (see IDEMPOTENT) cut to its last copy.
 * The terminal ends in exactly the state the whole run leaves: RIS RIS is RIS, DECALN DECALN is DECALN.
 * Returns `chunk` itself when there is nothing to cut. Cost: one pass over the bytes.
 */
export function collapseIdempotentRuns(chunk: Uint8Array): Uint8Array {
  let out: Uint8Array | undefined;
  let written = 0;
  /** Start of the bytes not yet copied to `out`. */
  let copied = 0;
  let at = byteIndex(chunk, ESC);
  while (at !== -1 && at < chunk.length) {
    const body = IDEMPOTENT.find((candidate) => matchesAt(chunk, at + 1, candidate));
    if (body === undefined) {
      at = byteIndex(chunk, ESC, at + 1);
      continue;
    }
    const size = body.length + 1;
    let last = at;
    while (
      last + size < chunk.length &&
      chunk[last + size] === ESC &&
      matchesAt(chunk, last + size + 1, body)
    ) {
      last += size;
    }
    if (last !== at) {
      // Security: a flood of RIS or DECALN (issue 9: 2 MB of ESC c) costs the emulator 50-85 µs per copy;
      // only the last copy of a run is parsed.
      out ??= new Uint8Array(chunk.length);
      out.set(chunk.subarray(copied, at), written);
      written += at - copied;
      copied = last;
    }
    at = byteIndex(chunk, ESC, last + size);
  }
  if (out === undefined) return chunk;
  out.set(chunk.subarray(copied), written);
  written += chunk.length - copied;
  return out.subarray(0, written);
}

function matchesAt(chunk: Uint8Array, at: number, body: readonly number[]): boolean {
  if (at + body.length > chunk.length) return false;
  for (let i = 0; i < body.length; i++) if (chunk[at + i] !== body[i]) return false;
  return true;
}
