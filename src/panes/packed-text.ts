import { constants, deflateRawSync, inflateRawSync } from "node:zlib";

/** How the text's code units were turned into bytes before deflating: one byte each, or two (UTF-16LE). */
const LATIN1 = "L";
const UTF16 = "U";
/** A code unit above 0xff: the text needs two bytes per unit. */
const WIDE_UNIT = /[\u0100-\uffff]/;

/**
 * `text` deflated (raw deflate, fastest level) and kept as a one-byte string: the first character says how the
 * code units were encoded (LATIN1 or UTF16), the rest are the deflated bytes, one per character. A string, not
 * a Buffer, so it lives on the V8 heap, which compacts, instead of in malloc's arenas, which do not.
 * Returns undefined when deflating does not make the text smaller (random bytes, very short text).
 * Exact for any JS string, lone surrogates included: unpackText(packText(t)) === t.
 */
export function packText(text: string): string | undefined {
  const wide = WIDE_UNIT.test(text);
  const bytes = Buffer.from(text, wide ? "utf16le" : "latin1");
  const deflated = deflateRawSync(bytes, { level: constants.Z_BEST_SPEED });
  // The packed string costs a byte per character; the text one or two per code unit, as `bytes` does.
  if (deflated.byteLength + 1 >= bytes.byteLength) return undefined;
  return (wide ? UTF16 : LATIN1) + deflated.toString("latin1");
}

/** The text `packed` (from packText) was made from. Throws if `packed` is not packText's output. */
export function unpackText(packed: string): string {
  const encoding = packed[0] === UTF16 ? "utf16le" : packed[0] === LATIN1 ? "latin1" : undefined;
  if (encoding === undefined) throw new Error(`unpackText: expected a packed text, got tag ${packed[0]}`);
  return inflateRawSync(Buffer.from(packed.slice(1), "latin1")).toString(encoding);
}
