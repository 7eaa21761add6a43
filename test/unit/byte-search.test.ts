import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byteIndex } from "../../src/panes/byte-search.js";

/** The definition: the first index at or after `from` holding `byte`, else -1. */
function naive(bytes: Uint8Array, byte: number, from: number): number {
  for (let i = from; i < bytes.length; i++) if (bytes[i] === byte) return i;
  return -1;
}

describe("byteIndex (Node's native search on any Uint8Array)", () => {
  it("agrees with a byte-by-byte search on views into ArrayBuffers and SharedArrayBuffers at any offset", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat({ max: 40 }),
        fc.nat({ max: 40 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: 340 }),
        fc.boolean(),
        (content, head, tail, byte, from, shared) => {
          // The view starts `head` bytes into its buffer and stops `tail` bytes before its end, both filled
          // with `byte`: a search that reads outside the view finds them.
          const size = head + content.length + tail;
          const backing = shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
          const whole = new Uint8Array(backing);
          whole.fill(byte);
          whole.set(content, head);
          const view = new Uint8Array(backing, head, content.length);
          expect(byteIndex(view, byte, from)).toBe(naive(content, byte, from));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("searches from 0 when no start is given", () => {
    expect(byteIndex(new Uint8Array([1, 27, 3, 27]), 27)).toBe(1);
    expect(byteIndex(new Uint8Array([1, 2, 3]), 27)).toBe(-1);
  });
});
