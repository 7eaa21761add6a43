import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  BLOCK_BYTES,
  JournalCounter,
  JournalDamage,
  openSnapshot,
  sealSnapshot,
  unwrapKey,
  wrapKey,
} from "../../src/panes/journal/journal-crypto.js";

const HEADER = 16;
const TAG = 16;

/** The byte ranges of a sealed snapshot's blocks (each: length field, ciphertext, tag). */
function blockRanges(file: Buffer): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let at = HEADER; at < file.length; ) {
    const end = at + 4 + file.readUInt32BE(at) + TAG;
    ranges.push([at, end]);
    at = end;
  }
  return ranges;
}

function damage(run: () => unknown): JournalDamage {
  try {
    run();
  } catch (error) {
    if (error instanceof JournalDamage) return error;
    throw error;
  }
  throw new Error("it opened");
}

describe("journal crypto: a pane's snapshot sealed in AES-256-GCM blocks (issue 15)", () => {
  const key = randomBytes(32);
  const payload = randomBytes(BLOCK_BYTES * 3 + 1000);

  it("opens what it sealed, across blocks, and nonces go on from one snapshot to the next", () => {
    const counter = new JournalCounter();
    const first = sealSnapshot(key, "p-one", counter, payload);
    const second = sealSnapshot(key, "p-one", counter, Buffer.from("short"));
    expect(blockRanges(first)).toHaveLength(4);
    const opened = openSnapshot(key, "p-one", first);
    expect(opened.payload.equals(payload)).toBe(true);
    expect(opened.next).toBe(4n);
    expect(openSnapshot(key, "p-one", second)).toEqual({ payload: Buffer.from("short"), next: 5n });
    expect(openSnapshot(key, "p-one", sealSnapshot(key, "p-one", counter, Buffer.alloc(0))).payload).toEqual(
      Buffer.alloc(0),
    );
  });

  it("a flipped byte is detected (changed), in the ciphertext and in the tag", () => {
    const file = sealSnapshot(key, "p-one", new JournalCounter(), payload);
    const second = blockRanges(file)[1] as [number, number];
    for (const at of [second[0] + 10, second[1] - 1]) {
      const flipped = Buffer.from(file);
      flipped[at] = (flipped[at] as number) ^ 0x01;
      expect(damage(() => openSnapshot(key, "p-one", flipped))).toMatchObject({ kind: "changed", block: 1 });
    }
  });

  it("a swapped block is detected (reordered), and says where it belongs", () => {
    const file = sealSnapshot(key, "p-one", new JournalCounter(), payload);
    const [a, b, c, d] = blockRanges(file).map(([start, end]) => file.subarray(start, end));
    const swapped = Buffer.concat([
      file.subarray(0, HEADER),
      a as Buffer,
      c as Buffer,
      b as Buffer,
      d as Buffer,
    ]);
    const found = damage(() => openSnapshot(key, "p-one", swapped));
    expect(found).toMatchObject({ kind: "reordered", block: 1 });
    expect(found.message).toContain("is block 2");
  });

  it("a truncated tail is detected: a whole last block gone, or a cut inside one", () => {
    const file = sealSnapshot(key, "p-one", new JournalCounter(), payload);
    const ranges = blockRanges(file);
    const lastStart = (ranges.at(-1) as [number, number])[0];
    expect(damage(() => openSnapshot(key, "p-one", file.subarray(0, lastStart)))).toMatchObject({
      kind: "truncated",
    });
    expect(damage(() => openSnapshot(key, "p-one", file.subarray(0, file.length - 7)))).toMatchObject({
      kind: "truncated",
    });
    expect(damage(() => openSnapshot(key, "p-one", file.subarray(0, HEADER)))).toMatchObject({
      kind: "truncated",
    });
  });

  it("a block from another pane's journal is detected (changed), so is a whole file under another pane's name", () => {
    const otherKey = randomBytes(32);
    const mine = sealSnapshot(key, "p-one", new JournalCounter(), payload);
    const theirs = sealSnapshot(otherKey, "p-two", new JournalCounter(), payload);
    const [mineRanges, theirRanges] = [blockRanges(mine), blockRanges(theirs)];
    const [start, end] = mineRanges[2] as [number, number];
    const [tStart, tEnd] = theirRanges[2] as [number, number];
    const mixed = Buffer.concat([mine.subarray(0, start), theirs.subarray(tStart, tEnd), mine.subarray(end)]);
    expect(damage(() => openSnapshot(key, "p-one", mixed))).toMatchObject({ kind: "changed", block: 2 });
    // The same key under another pane id (a journal renamed to another pane's file) does not open either.
    expect(damage(() => openSnapshot(key, "p-two", mine))).toMatchObject({ kind: "changed", block: 0 });
  });

  it("bytes after the last block, and a file that is not a journal, are refused", () => {
    const file = sealSnapshot(key, "p-one", new JournalCounter(), Buffer.from("x"));
    const extra = sealSnapshot(key, "p-one", new JournalCounter(5n), Buffer.from("y")).subarray(HEADER);
    expect(damage(() => openSnapshot(key, "p-one", Buffer.concat([file, extra])))).toMatchObject({
      kind: "trailing",
    });
    expect(damage(() => openSnapshot(key, "p-one", Buffer.from("hello world, not a journal")))).toMatchObject(
      {
        kind: "format",
      },
    );
  });

  it("a wrapped pane key opens only under its master key and for its pane", () => {
    const master = randomBytes(32);
    const wrapped = wrapKey(master, "p-one", key);
    expect(unwrapKey(master, "p-one", wrapped)).toEqual(key);
    expect(damage(() => unwrapKey(randomBytes(32), "p-one", wrapped)).kind).toBe("changed");
    expect(damage(() => unwrapKey(master, "p-two", wrapped)).kind).toBe("changed");
    expect(damage(() => unwrapKey(master, "p-one", wrapped.subarray(1))).kind).toBe("format");
  });
});
