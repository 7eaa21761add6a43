import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { outputTail } from "../../src/tools/run-output.js";

const MARKER = /^\[… (\d+) earlier lines? truncated …\]$/;

describe("outputTail: the output run returns", () => {
  it("drops the screen's empty rows and keeps short output whole", () => {
    expect(outputTail("a\nb\n\n\n   \n", 50, 16_000)).toEqual({ text: "a\nb", cut: 0 });
    expect(outputTail("\n\n\n", 50, 16_000)).toEqual({ text: "", cut: 0 });
  });

  it("keeps the last lines, led by a marker that counts the cut ones", () => {
    const text = Array.from({ length: 10 }, (_, i) => `l${i + 1}`).join("\n");
    expect(outputTail(text, 3, 16_000)).toEqual({
      text: "[… 7 earlier lines truncated …]\nl8\nl9\nl10",
      cut: 7,
    });
    expect(outputTail("x\ny", 1, 16_000)).toEqual({ text: "[… 1 earlier line truncated …]\ny", cut: 1 });
  });

  it("cuts one long last line inside, never between the halves of a surrogate pair, and counts it", () => {
    const line = "😀".repeat(200);
    const { text, cut } = outputTail(`first\n${line}`, 50, 101);
    expect(cut).toBe(2);
    expect(text.length).toBeLessThanOrEqual(101);
    const [head, tail] = text.split("\n");
    expect(head).toMatch(MARKER);
    expect(tail?.charCodeAt(0)).not.toBeGreaterThanOrEqual(0xdc00); // not a low surrogate
  });

  it("sanitizes what it returns (no escape or control bytes reach the agent)", () => {
    const { text } = outputTail("ok\u001b]0;title\u0007\u202e\n", 50, 16_000);
    for (const unsafe of ["\u001b", "\u0007", "\u202e"]) expect(text).not.toContain(unsafe);
  });

  it("within its bounds, the kept lines are the input's last ones and cut + kept = all", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z ]{0,40}$/), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 100, max: 2_000 }),
        (lines, maxLines, maxChars) => {
          const input = lines.join("\n");
          const all = input.trimEnd().split("\n");
          const { text, cut } = outputTail(input, maxLines, maxChars);
          expect(text.length).toBeLessThanOrEqual(maxChars);
          const out = text.split("\n");
          if (input.trimEnd() === "") expect(text).toBe("");
          else if (cut === 0) expect(out).toEqual(all);
          else {
            expect(Number(MARKER.exec(out[0] ?? "")?.[1])).toBe(cut);
            // (cut === all.length: the last line alone was too long, its end only)
            if (cut < all.length) {
              expect(out.length - 1).toBeLessThanOrEqual(maxLines);
              expect(out.slice(1)).toEqual(all.slice(cut));
            }
          }
        },
      ),
    );
  });
});
