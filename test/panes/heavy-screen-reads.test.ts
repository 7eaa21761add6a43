import { afterEach, describe, expect, it } from "vitest";
import { PaneScreen } from "../../src/panes/pane-screen.js";
import { QueryCache } from "../../src/panes/text-query.js";

// Attack review: a pane printed one 400×200 screen whose cells each hold `a` + 31 zero-width spaces (2.56 M
// code units) and slept. Every read and every poll of a wait_for rendered and sanitized all of it again (45-100
// ms each on the thread all panes share), and another pane's reads waited 0.3-2.5 s behind them. A screen that
// did not change is now read once (PaneScreen's memo of the rendered text and of each query's last search);
// these tests hold that the memo never answers for a screen, or marks, that changed.

const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

function screen(cols = 40, rows = 5): PaneScreen {
  const made = new PaneScreen({ cols, rows, scrollback: 100 });
  screens.push(made);
  return made;
}

const write = (target: PaneScreen, text: string): void => target.write(Buffer.from(text), () => {});

describe("reads of a screen whose cells are heavy with invisible characters", () => {
  it("a screen of zero-width spaces rendered twice without a change is the same string, not a second render", () => {
    const heavy = screen(400, 200);
    const row = `a${"\u200b".repeat(31)}`.repeat(400);
    write(heavy, `\x1b[H${Array.from({ length: 200 }, () => row).join("\r\n")}`);
    const first = heavy.snapshot().text;
    expect(first.length).toBeGreaterThan(2_000_000);
    // The very string: a second render would build a new one.
    expect(Object.is(heavy.snapshot().text, first)).toBe(true);
  });

  it("the rendered screen follows every write, resize and cursor move", () => {
    const s = screen();
    write(s, "one");
    expect(s.snapshot().text).toBe("one");
    write(s, "\r\ntwo");
    expect(s.snapshot().text).toBe("one\ntwo");
    write(s, "\x1b[H\x1b[2J");
    expect(s.snapshot().text).toBe("");
    write(s, "abc\x1b[2C");
    expect(s.snapshot().text).toBe("abc  "); // the cursor's line keeps its blanks up to the cursor
    write(s, "\x1b[2D");
    expect(s.snapshot().text).toBe("abc");
    // A screen given the same output and resize, never read before: what the read must equal.
    const control = screen();
    for (const text of ["one", "\r\ntwo", "\x1b[H\x1b[2J", "abc\x1b[2C", "\x1b[2D"]) write(control, text);
    control.resize(2, 5);
    s.resize(2, 5);
    expect(s.snapshot().text).not.toBe("abc");
    expect(s.snapshot().text).toBe(control.snapshot().text);
  });

  it("a search repeated on an unchanged screen answers as before; after output, after a since-mark and its release, anew", () => {
    const s = screen();
    const queries = new QueryCache();
    const hello = queries.get({ text: "hello" });
    write(s, "nothing yet\r\n");
    const top = s.markScreenTop(0);
    expect(s.search(top, 0, hello).matched).toBe(false);
    expect(s.search(top, 0, hello).matched).toBe(false);
    write(s, "hello\r\n");
    expect(s.search(top, 0, hello).matched).toBe(true);
    // From a since-mark taken now, the hello before it is old; printed again after it, it is new.
    const since = s.markSince();
    expect(s.search(since, 0, hello).matched).toBe(false);
    write(s, "hello\r\n");
    expect(s.search(since, 0, hello).matched).toBe(true);
    s.releaseSince(since.since as number);
  });
});
