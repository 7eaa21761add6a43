import xtermHeadless from "@xterm/headless";
import { afterEach, describe, expect, it } from "vitest";
import { isSafeReply } from "../../src/panes/terminal-replies.js";

const { Terminal } = xtermHeadless;
type HeadlessTerminal = InstanceType<typeof Terminal>;

const ESC = "\x1b";
const opened: HeadlessTerminal[] = [];

afterEach(() => {
  for (const term of opened.splice(0)) term.dispose();
});

/** Writes `data` into a real headless emulator and returns what it emitted through onData. */
async function repliesTo(data: string, options: ConstructorParameters<typeof Terminal>[0] = {}) {
  const term = new Terminal({ allowProposedApi: true, cols: 80, rows: 24, ...options });
  opened.push(term);
  const replies: string[] = [];
  term.onData((reply) => replies.push(reply));
  await new Promise<void>((resolve) => term.write(data, resolve));
  return replies;
}

describe("replies @xterm/headless emits that are forwarded to the pty", () => {
  const allowed: Array<[string, string, string]> = [
    ["cursor position report (DSR 6)", "ab\r\ncd\x1b[6n", `${ESC}[2;3R`],
    ["extended cursor position report (DSR ?6)", "ab\r\ncd\x1b[?6n", `${ESC}[?2;3R`],
    ["device status ready (DSR 5)", "\x1b[5n", `${ESC}[0n`],
    ["primary device attributes (DA1)", "\x1b[c", `${ESC}[?1;2c`],
    ["secondary device attributes (DA2)", "\x1b[>c", `${ESC}[>0;276;0c`],
    ["ANSI mode report (DECRQM 4)", "\x1b[4$p", `${ESC}[4;2$y`],
    ["DEC mode report (DECRQM ?2004)", "\x1b[?2004$p", `${ESC}[?2004;2$y`],
    ["DEC mode report for an unknown mode", "\x1b[?9999$p", `${ESC}[?9999;0$y`],
  ];
  it.each(allowed)("%s is emitted as the documented reply and allowed", async (_name, query, expected) => {
    const replies = await repliesTo(query);
    expect(replies).toEqual([expected]);
    expect(isSafeReply(expected)).toBe(true);
  });

  it("several queries in one write give several replies, each allowed and allowed when concatenated", async () => {
    const replies = await repliesTo("\x1b[6n\x1b[c\x1b[>c\x1b[5n");
    expect(replies).toEqual([`${ESC}[1;1R`, `${ESC}[?1;2c`, `${ESC}[>0;276;0c`, `${ESC}[0n`]);
    for (const reply of replies) expect(isSafeReply(reply)).toBe(true);
    expect(isSafeReply(replies.join(""))).toBe(true);
  });
});

describe("replies @xterm/headless emits that are refused", () => {
  const refused: Array<[string, string, string]> = [
    ["DECRQSS for SGR echoes emulator state", "\x1bP$qm\x1b\\", `${ESC}P1$r0m${ESC}\\`],
    ["DECRQSS for the scroll region", "\x1bP$qr\x1b\\", `${ESC}P1$r1;24r${ESC}\\`],
    ["DECRQSS for an unknown setting", "\x1bP$qzz\x1b\\", `${ESC}P0$r${ESC}\\`],
  ];
  it.each(refused)("%s (a DCS reply) is refused", async (_name, query, expected) => {
    const replies = await repliesTo(query);
    expect(replies).toEqual([expected]);
    expect(isSafeReply(expected)).toBe(false);
  });

  it("window size report, emitted only when windowOptions allow it, is refused", async () => {
    const replies = await repliesTo("\x1b[18t", { windowOptions: { getWinSizeChars: true } });
    expect(replies).toEqual([`${ESC}[8;24;80t`]);
    expect(isSafeReply(`${ESC}[8;24;80t`)).toBe(false);
  });
});

describe("title-report injection (CVE-2003-0063 family)", () => {
  it("a pane that sets its title to a command and asks for it back gets no reply from the emulator", async () => {
    const replies = await repliesTo("\x1b]2;rm -rf ~\r\x07\x1b[21t\x1b]1;rm -rf ~\r\x07\x1b[20t", {
      windowOptions: { getWinTitle: true, getIconTitle: true },
    });
    expect(replies).toEqual([]);
  });

  it("a title report, if any emulator emitted one, is refused", () => {
    expect(isSafeReply(`${ESC}]lrm -rf ~\r${ESC}\\`)).toBe(false);
    expect(isSafeReply(`${ESC}]Lrm -rf ~\r${ESC}\\`)).toBe(false);
  });

  it("a title report hidden behind a safe reply in the same chunk is refused", () => {
    expect(isSafeReply(`${ESC}[1;1R${ESC}]lrm -rf ~\r${ESC}\\`)).toBe(false);
    expect(isSafeReply(`${ESC}[1;1Rrm -rf ~\r`)).toBe(false);
    expect(isSafeReply(`rm -rf ~\r${ESC}[1;1R`)).toBe(false);
  });
});

describe("queries @xterm/headless 6 does not answer (nothing reaches the pty)", () => {
  const silent: Array<[string, string]> = [
    ["colour query OSC 10", "\x1b]10;?\x07"],
    ["colour query OSC 11", "\x1b]11;?\x07"],
    ["palette query OSC 4", "\x1b]4;1;?\x07"],
    ["tertiary device attributes (DA3)", "\x1b[=c"],
    ["XTGETTCAP", "\x1bP+q544e\x1b\\"],
    ["XTVERSION", "\x1b[>0q"],
    ["focus reporting enabled", "\x1b[?1004h"],
    ["mouse reporting enabled", "\x1b[?1000h"],
    ["ENQ answerback", "\x05"],
  ];
  it.each(silent)("%s gets no reply", async (_name, query) => {
    expect(await repliesTo(query)).toEqual([]);
  });
});

describe("isSafeReply refuses anything carrying pane-controlled content", () => {
  it.each([
    ["colour report", `${ESC}]11;rgb:0000/0000/0000${ESC}\\`],
    ["OSC 52 clipboard", `${ESC}]52;c;cm0gLXJmIH4K\x07`],
    ["DA3 unit id (a DCS)", `${ESC}P!|00000000${ESC}\\`],
    ["focus in report", `${ESC}[I`],
    ["X10 mouse report", `${ESC}[M !!`],
    ["SGR mouse report", `${ESC}[<0;1;1M`],
    ["plain text", "ls\r"],
    ["a bare newline after a reply", `${ESC}[0n\n`],
    ["the empty string", ""],
    ["a CSI with letters in a parameter", `${ESC}[1;aR`],
    ["a C1 CSI instead of ESC [", "\u009b1;1R"],
  ])("%s", (_name, data) => {
    expect(isSafeReply(data)).toBe(false);
  });
});
