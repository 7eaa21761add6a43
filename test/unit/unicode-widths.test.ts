import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { codepointWidth } from "../../src/panes/unicode-widths.js";

// glibc's wcwidth for U+0020..U+3FFFF, one byte each (width + 1; 9 for surrogates and -1).
const LIBC_WIDTHS = `
import ctypes, locale, sys
locale.setlocale(locale.LC_ALL, "C.UTF-8")
libc = ctypes.CDLL("libc.so.6")
libc.wcwidth.argtypes = [ctypes.c_wchar]
out = bytearray()
for cp in range(0x20, 0x40000):
    w = -1 if 0xd800 <= cp < 0xe000 else libc.wcwidth(chr(cp))
    out.append(w + 1 if w >= 0 else 9)
sys.stdout.buffer.write(bytes(out))
`;

describe("column widths agree with what programs compute (issue 10, item 6)", () => {
  it("gives the widths bash and readline use for everyday text", () => {
    const cases: Array<[string, number]> = [
      ["a", 1],
      ["é", 1],
      ["\u0301", 0], // combining acute
      ["\u200d", 0], // zero-width joiner
      ["\ufe0f", 0], // variation selector 16
      ["\u00ad", 1], // soft hyphen
      ["\u0600", 1], // Arabic number sign (prepended concatenation mark)
      ["\u1160", 0], // Hangul jungseong filler
      ["中", 2],
      ["한", 2],
      ["ｆ", 2],
      ["😀", 2],
      ["🥱", 2], // Unicode 12: Unicode 11 tables said 1
      ["🫠", 2], // Unicode 14
      ["🏽", 2], // skin tone modifier: wcwidth counts it on its own
      ["❤", 1], // text presentation by default
    ];
    for (const [char, width] of cases)
      expect([char, codepointWidth(char.codePointAt(0) as number)]).toEqual([char, width]);
  });

  it("differs from this machine's glibc wcwidth only on a few code points (those newer than its tables)", () => {
    const libc = execFileSync("python3", ["-c", LIBC_WIDTHS], { maxBuffer: 1 << 22 });
    const differing: string[] = [];
    for (let cp = 0x20; cp < 0x40000; cp++) {
      const expected = libc[cp - 0x20] as number;
      if (expected === 9 || cp === 0x7f) continue;
      if (codepointWidth(cp) !== expected - 1) differing.push(cp.toString(16));
    }
    // glibc 2.36 (Unicode 15) differs on 133 code points, all assigned or widened in Unicode 16; xterm's
    // default tables (Unicode 6) differed on 10 512 and its Unicode 11 addon on 891.
    expect(differing.length, differing.slice(0, 20).join(" ")).toBeLessThan(400);
  });
});
