import { afterEach, describe, expect, it } from "vitest";
import { type HistoryMark, PaneScreen } from "../../src/panes/pane-screen.js";

const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

function screen(cols = 40, rows = 6, scrollback = 1000): PaneScreen {
  const s = new PaneScreen({ cols, rows, scrollback });
  screens.push(s);
  return s;
}

function feed(s: PaneScreen, text: string): Promise<void> {
  return new Promise((resolve) => s.write(Buffer.from(text), resolve));
}

function since(s: PaneScreen, mark: HistoryMark): string {
  return s.renderFrom(mark, 8).text;
}

/** What a wait with since "now" does: mark, then follow the next marks the reads hand back. */
function follower(s: PaneScreen): { seen: (needle: string) => boolean; text: () => string } {
  let mark = s.markSince();
  let all = "";
  return {
    seen(needle) {
      const read = s.renderFrom(mark, 8);
      all = read.text;
      mark = read.nextTop ?? mark;
      return read.text.includes(needle);
    },
    text: () => all,
  };
}

describe("text printed since a mark", () => {
  it("the old prompt on the cursor's row does not count; the echo after it and the next prompt do", async () => {
    const s = screen();
    await feed(s, "Python 3\r\n>>> ");
    const mark = s.markSince();
    expect(since(s, mark)).toBe("");
    await feed(s, "1+1");
    expect(since(s, mark)).toBe("1+1");
    expect(since(s, mark)).not.toContain(">>>");
    await feed(s, "\r\n2\r\n>>> ");
    expect(since(s, mark)).toBe("1+1\n2\n>>> ");
  });

  it("a readline redraw (CR, the same prompt, the line) does not make the old prompt new", async () => {
    const s = screen();
    await feed(s, "$ ");
    const mark = s.markSince();
    await feed(s, "ls\r$ ls\x1b[K");
    expect(since(s, mark)).not.toContain("$");
    expect(since(s, mark)).toContain("ls");
  });

  it("a prompt that comes back on the same row reading differently counts", async () => {
    const s = screen();
    await feed(s, "Continue? [y/N] ");
    const mark = s.markSince();
    await feed(s, "y\r\x1b[KNext? [y/N] ");
    expect(since(s, mark)).toContain("Next? [y/N] ");
  });

  it("after a screen clear the same prompt drawn in the same place is new", async () => {
    const s = screen();
    await feed(s, "$ ");
    const mark = s.markSince();
    await feed(s, "clear\r\n\x1b[H\x1b[2J$ ");
    expect(since(s, mark)).toContain("$ ");
  });

  it("a clear as ED 0 from the home position counts as a clear too; ED 0 mid-row does not", async () => {
    const s = screen();
    await feed(s, "$ ");
    const mark = s.markSince();
    await feed(s, "\x1b[H\x1b[J$ ");
    expect(since(s, mark)).toContain("$ ");
    const t = screen();
    await feed(t, "hi\r\n$ ");
    const other = t.markSince();
    await feed(t, "x\r\x1b[J$ x");
    expect(since(t, other)).not.toContain("$");
  });

  it("output that scrolls the old screen away keeps only the new text, including the scrolled rows", async () => {
    const s = screen(40, 4);
    await feed(s, "old-1\r\nold-2\r\nold-3\r\n>>> ");
    const mark = s.markSince();
    await feed(s, "go\r\n");
    for (let i = 0; i < 20; i++) await feed(s, `new-${i}\r\n`);
    await feed(s, ">>> ");
    const text = since(s, mark);
    expect(text).not.toContain("old-");
    expect(text.startsWith("go\nnew-0\n")).toBe(true);
    expect(text).toContain("new-19\n>>> ");
  });

  it("history a taller screen shows again, then a shorter one moves back, is not printed anew", async () => {
    // Attack review: 30 lines on 30x8, the pane made 30 rows tall (history back on the screen), a wait with
    // since "now", then 30x8 again: the wait matched "line 3", printed before it began.
    const s = screen(30, 8, 10_000);
    await feed(s, `${Array.from({ length: 30 }, (_, i) => `line ${i}\r\n`).join("")}$ `);
    s.resize(30, 30);
    const mark = s.markSince();
    s.resize(30, 8);
    expect(since(s, mark)).toBe("");
    s.resize(60, 29);
    expect(since(s, mark)).toBe("");
    await feed(s, "echo done\r\ndone\r\n");
    expect(since(s, mark)).toBe("echo done\ndone");
  });

  it("a match may not straddle old and new text", async () => {
    const s = screen();
    await feed(s, "abc");
    const mark = s.markSince();
    await feed(s, "def");
    expect(since(s, mark)).toBe("def");
    expect(since(s, mark)).not.toContain("cd");
    // Old text left between two new runs on one row splits them.
    const t = screen();
    await feed(t, "0123456789");
    const other = t.markSince();
    await feed(t, "\rAB\x1b[8GXY");
    expect(since(t, other).split("\n")).toEqual(["AB", "XY"]);
  });

  it("a wrapped line printed since the mark reads as one line, in history and on screen", async () => {
    const s = screen(10, 3);
    await feed(s, "$ ");
    const mark = s.markSince();
    await feed(s, `${"x".repeat(25)}-end\r\n`);
    expect(since(s, mark)).toContain(`${"x".repeat(25)}-end`);
    for (let i = 0; i < 5; i++) await feed(s, `l${i}\r\n`);
    expect(since(s, mark)).toContain(`${"x".repeat(25)}-end`);
  });

  it("text drawn above the cursor's row since the mark counts (a status line redrawn in place)", async () => {
    const s = screen();
    await feed(s, "status: busy\r\nlog\r\n");
    const mark = s.markSince();
    await feed(s, "\x1b[1;1Hstatus: ready\x1b[3;1H");
    expect(since(s, mark)).toContain("status: ready");
    expect(since(s, mark)).not.toContain("log");
  });

  it("the alternate screen drawn since the mark counts; a mark taken on it sees only later text", async () => {
    const s = screen();
    await feed(s, "$ ");
    const mark = s.markSince();
    await feed(s, "less\r\n\x1b[?1049hpage-1");
    expect(since(s, mark)).toContain("page-1");
    const onAlt = s.markSince();
    await feed(s, "\x1b[2;1Hpage-2");
    expect(since(s, onAlt)).toBe("page-2");
  });

  it("two marks live at once: the older still sees text printed before the newer was taken", async () => {
    const s = screen();
    await feed(s, "$ ");
    const first = s.markSince();
    await feed(s, "one\r\n");
    const second = s.markSince();
    await feed(s, "two\r\n");
    expect(since(s, first)).toBe("one\ntwo");
    expect(since(s, second)).toBe("two");
    s.releaseSince(second.since as number);
    expect(since(s, first)).toBe("one\ntwo");
  });

  it("a wait that follows its next marks through a flood sees text that scrolled away, and not the old screen", async () => {
    const s = screen(40, 5, 100);
    await feed(s, "needle-old\r\n$ ");
    const wait = follower(s);
    expect(wait.seen("needle")).toBe(false);
    for (let i = 0; i < 50; i++) await feed(s, `line-${i}\r\n`);
    expect(wait.seen("needle")).toBe(false);
    await feed(s, "needle-new\r\n");
    for (let i = 0; i < 3; i++) await feed(s, `tail-${i}\r\n`);
    expect(wait.seen("needle-new")).toBe(true);
  });

  it("concealed text printed since the mark stays hidden", async () => {
    const s = screen();
    await feed(s, "$ ");
    const mark = s.markSince();
    await feed(s, "pw: \x1b[8msecret\x1b[0m ok");
    const text = since(s, mark);
    expect(text).not.toContain("secret");
    expect(text).toContain("⟨HIDDEN×6⟩");
  });

  it("after RIS everything drawn is new", async () => {
    const s = screen();
    await feed(s, "$ ");
    const mark = s.markSince();
    await feed(s, "\x1bc$ ");
    expect(since(s, mark)).toContain("$ ");
  });
});
