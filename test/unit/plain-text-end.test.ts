import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_PLAIN_LINE_BYTES, plainTextEnd } from "../../src/panes/plain-lines.js";

/** The definition, one byte at a time: what the four-bytes-at-a-time scan must answer. */
function reference(chunk: Uint8Array, from: number, lineSoFar: number, afterCR: boolean): number {
  if (afterCR && from < chunk.length && chunk[from] !== 0x0a) return from;
  let line = lineSoFar;
  for (let i = from; i < chunk.length; i++) {
    const byte = chunk[i] as number;
    if (byte >= 0x20 && byte <= 0x7e) {
      line += 1;
      if (line > MAX_PLAIN_LINE_BYTES) return i;
    } else if (byte === 0x0d) {
      if (i + 1 < chunk.length && chunk[i + 1] !== 0x0a) return i;
    } else if (byte === 0x0a) {
      if (i === from ? !afterCR : chunk[i - 1] !== 0x0d) return i;
      line = 0;
    } else return i;
  }
  return chunk.length;
}

describe("plainTextEnd (issue 16)", () => {
  it("answers as the byte-by-byte definition at every alignment, start, line length and byte", () => {
    const byte = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
      { weight: 2, arbitrary: fc.constantFrom(0x0d, 0x0a) },
      { weight: 1, arbitrary: fc.constantFrom(0x00, 0x1b, 0x1f, 0x7f, 0x80, 0x9b, 0xc2, 0xff) },
    );
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 80 }),
        fc.integer({ min: 0, max: 3 }),
        fc.nat(),
        fc.oneof(
          fc.nat({ max: 100 }),
          fc.integer({ min: MAX_PLAIN_LINE_BYTES - 12, max: MAX_PLAIN_LINE_BYTES + 2 }),
        ),
        fc.boolean(),
        (bytes, offset, start, lineSoFar, afterCR) => {
          const buffer = new Uint8Array(bytes.length + offset);
          buffer.set(bytes, offset);
          const chunk = buffer.subarray(offset);
          const from = bytes.length === 0 ? 0 : start % (bytes.length + 1);
          expect(plainTextEnd(chunk, from, lineSoFar, afterCR)).toBe(
            reference(chunk, from, lineSoFar, afterCR),
          );
        },
      ),
      { seed: 16, numRuns: 5000 },
    );
  });
});
