import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchRing, type RingPlace } from "../../src/panes/batch-ring.js";

describe("BatchRing", () => {
  it("one pane's batch never overwrites another's still being parsed: places in use never overlap", () => {
    // Security: batches of every pane share the ring; a place reused before the screen thread is done with it
    // would show one pane's output in another's screen. Random sizes, releases in any order (panes are parsed
    // round-robin), and each live place must still hold exactly the bytes placed there.
    const size = 4096;
    const op = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          // Sizes that tile the ring exactly, and one byte either side, find the off-by-ones at its edges.
          place: fc.oneof(
            fc.integer({ min: 1, max: 1500 }),
            fc.constantFrom(256, 512, 1024, 255, 257, 511, 513, 1023, 1025),
          ),
          parts: fc.nat({ max: 3 }),
        }),
      },
      { weight: 2, arbitrary: fc.record({ release: fc.nat() }) },
      { weight: 1, arbitrary: fc.constant({ releaseAll: true as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const ring = new BatchRing(size);
        const view = new Uint8Array(ring.buffer);
        const live: { place: RingPlace; fill: number }[] = [];
        let fill = 0;
        for (const step of ops) {
          if ("place" in step) {
            fill = (fill % 250) + 1;
            const bytes = new Uint8Array(step.place).fill(fill);
            const cut = Math.floor(step.place / (step.parts + 1));
            const chunks = step.parts === 0 ? [bytes] : [bytes.subarray(0, cut), bytes.subarray(cut)];
            const place = ring.place(chunks, step.place);
            if (place === undefined) {
              // No room is only ever said while something is in use.
              expect(live.length).toBeGreaterThan(0);
              continue;
            }
            expect(place.length).toBe(step.place);
            expect(place.start + place.length).toBeLessThanOrEqual(size);
            live.push({ place, fill });
          } else if ("release" in step) {
            if (live.length === 0) continue;
            const [gone] = live.splice(step.release % live.length, 1);
            ring.release((gone as (typeof live)[number]).place.slot);
          } else {
            ring.releaseAll();
            live.length = 0;
          }
          expect(ring.placed).toBe(live.length);
          for (const { place, fill: value } of live) {
            const bytes = view.subarray(place.start, place.start + place.length);
            expect(bytes.every((byte) => byte === value)).toBe(true);
          }
        }
        // With everything released, the whole ring is free again.
        ring.releaseAll();
        expect(ring.place([new Uint8Array(size)], size)).toBeDefined();
      }),
      { seed: 16, numRuns: 1000 },
    );
  });

  it("says no room rather than place a batch larger than the ring, or an empty one", () => {
    const ring = new BatchRing(1024);
    expect(ring.place([new Uint8Array(1025)], 1025)).toBeUndefined();
    expect(ring.place([], 0)).toBeUndefined();
    expect(ring.placed).toBe(0);
  });

  it("fits a batch exactly into the room at the end, at the start, and between, and not one byte more", () => {
    const bytes = (n: number): Uint8Array[] => [new Uint8Array(n).fill(7)];
    // The room after the newest place runs to the end of the ring.
    const end = new BatchRing(1024);
    end.place(bytes(1000), 1000);
    expect(end.place(bytes(25), 25)).toBeUndefined();
    expect(end.place(bytes(24), 24)?.start).toBe(1000);
    // The room before the oldest place in use, once the newest reaches the end.
    const start = new BatchRing(1024);
    const a = start.place(bytes(256), 256) as RingPlace;
    start.place(bytes(256), 256);
    start.place(bytes(512), 512);
    start.release(a.slot);
    expect(start.place(bytes(257), 257)).toBeUndefined();
    expect(start.place(bytes(256), 256)?.start).toBe(0);
    expect(start.place(bytes(1), 1)).toBeUndefined();
    // The room between the newest place (wrapped to the start) and the oldest.
    const between = new BatchRing(1024);
    const first = between.place(bytes(512), 512) as RingPlace;
    between.place(bytes(512), 512);
    between.release(first.slot);
    expect(between.place(bytes(300), 300)?.start).toBe(0);
    expect(between.place(bytes(213), 213)).toBeUndefined();
    expect(between.place(bytes(212), 212)?.start).toBe(300);
    expect(between.place(bytes(1), 1)).toBeUndefined();
  });
});
