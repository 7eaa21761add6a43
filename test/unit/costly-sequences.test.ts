import { describe, expect, it } from "vitest";
import { endAfterCostlySequences } from "../../src/panes/costly-sequences.js";

const bytes = (text: string): Uint8Array => Buffer.from(text, "latin1");
const end = (text: string, allowed: number, from = 0, to?: number): number => {
  const data = bytes(text);
  return endAfterCostlySequences(data, from, to ?? data.length, allowed);
};

describe("endAfterCostlySequences", () => {
  it("ends a piece right after the allowed number of REP, scroll, insert/delete-line and erase-display sequences", () => {
    for (const sequence of [
      "\x1b[65535b",
      "\x1b[999S",
      "\x1b[9T",
      "\x1b[40L",
      "\x1b[M",
      "\x1b[2J",
      "\x1b[?2J",
    ]) {
      const text = `x${sequence}y${sequence}z`;
      expect(end(text, 1), JSON.stringify(sequence)).toBe(1 + sequence.length);
      expect(end(text, 2), JSON.stringify(sequence)).toBe(2 + 2 * sequence.length);
      expect(end(text, 3), JSON.stringify(sequence)).toBe(text.length);
    }
  });

  it("counts full resets, DECALN and alternate-screen switches; not SGR, cursor moves or line erases", () => {
    expect(end("a\x1bcb\x1bc", 1)).toBe(3);
    expect(end("\x1b#8rest", 1)).toBe(3);
    expect(end("\x1b[?1049hA\x1b[?1049l", 1)).toBe(8);
    const cheap = "\x1b[31mred\x1b[0m\x1b[10;20H\x1b[K\x1b[4h\x1b(B\x1b7\x1b8\x1b[1;24r";
    expect(end(cheap, 1)).toBe(cheap.length);
  });

  it("reads a C1 CSI (C2 9B in UTF-8) as ESC [, and a 9B continuation byte of another character as text", () => {
    expect(end("x\xc2\x9b65535bmore", 1)).toBe(9);
    // U+26CB is E2 9B 8B in UTF-8: its 9B follows E2, not C2, so what follows is text.
    expect(end("x\xe2\x9b\x8b65535b", 1)).toBe(10);
  });

  it("follows the parser through what a CSI may hold: C0 executed inside it, intermediates, DEL", () => {
    expect(end("\x1b[65\n535bz", 1)).toBe(9);
    expect(end("\x1b[6\x7f5b", 1)).toBe(6);
    expect(end("\x1b[1 Jz", 1)).toBe(5); // an intermediate: still final J
  });

  it("does not count a CSI that ESC, CAN or SUB cancel, nor one whose final is not a costly one", () => {
    expect(end("\x1b[65\x1b[m", 1)).toBe(7);
    expect(end("\x1b[65\x18b", 1)).toBe(6);
    expect(end("\x1b[65\x1ab", 1)).toBe(6);
    expect(end("\x1b[65\x1b[1bz", 1)).toBe(8); // the second one counts
  });

  it("counts a CSI still open at the end of the piece", () => {
    expect(end("ab\x1b[655", 1)).toBe(7);
    expect(end("ab\x1b[655b\x1b[2J", 1, 0, 7)).toBe(7);
  });

  it("scans only [from, to)", () => {
    const text = "\x1b[2J\x1b[2Jabc\x1b[2J";
    expect(end(text, 1, 4)).toBe(8);
    expect(end(text, 1, 8, 11)).toBe(11);
  });

  it("stops at once in plain text", () => {
    const text = "hello world\r\n".repeat(200);
    expect(end(text, 1)).toBe(text.length);
  });
});
