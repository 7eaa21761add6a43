import { describe, expect, it } from "vitest";
import { escapeSequences } from "../support/escape-sequences.js";

const seq = (text: string) => escapeSequences(Buffer.from(text, "latin1"));

describe("escapeSequences (what a terminal output stream asks of the terminal, text left out)", () => {
  it("splits CSI with parameters and intermediates, and leaves text, CR, LF, TAB and BS out", () => {
    expect(seq("a\x1b[1;31mred\x1b[0m\r\n\t\b\x1b[?2004$p\x1b[5 q")).toEqual([
      "\x1b[1;31m",
      "\x1b[0m",
      "\x1b[?2004$p",
      "\x1b[5 q",
    ]);
  });

  it("ends OSC at BEL or ST, and DCS, APC, PM, SOS and ESC k only at ST", () => {
    expect(
      seq(
        "\x1b]0;t\x07\x1b]8;;http://x\x1b\\link\x1bP$q\x07m\x1b\\\x1b_a\x1b\\\x1b^p\x1b\\\x1bXs\x1b\\\x1bkn\x1b\\",
      ),
    ).toEqual([
      "\x1b]0;t\x07",
      "\x1b]8;;http://x\x1b\\",
      "\x1bP$q\x07m\x1b\\",
      "\x1b_a\x1b\\",
      "\x1b^p\x1b\\",
      "\x1bXs\x1b\\",
      "\x1bkn\x1b\\",
    ]);
  });

  it("keeps a tmux passthrough whole, with the OSC 52 inside it", () => {
    expect(seq("\x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\after")).toEqual([
      "\x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\",
    ]);
  });

  it("finds charset switches, SO/SI, other C0 bytes, DEL and UTF-8 C1 controls", () => {
    expect(seq("\x1b(0\x1b)0\x0elq\x0f\x1b*0\x1bn\x1b=\x07\x7f\u0085".replace("\u0085", "\xc2\x85"))).toEqual(
      ["\x1b(0", "\x1b)0", "\x0e", "\x0f", "\x1b*0", "\x1bn", "\x1b=", "\x07", "\x7f", "\xc2\x85"],
    );
  });

  it("returns a sequence cut off by the end of the stream as it is", () => {
    expect(seq("x\x1b]52;c;AAAA")).toEqual(["\x1b]52;c;AAAA"]);
    expect(seq("x\x1b[12")).toEqual(["\x1b[12"]);
    expect(seq("x\x1b")).toEqual(["\x1b"]);
  });
});
