import { describe, expect, it } from "vitest";
import { type KeystrokeTarget, KeystrokeWriter } from "../../src/panes/keystroke-writer.js";

/** A terminal whose program reads when told to: the writer's view of "still unread" is what we say it is. */
class FakeTerminal implements KeystrokeTarget {
  readonly writes: Array<{ bytes: string; at: number }> = [];
  unread = 0;
  open = true;
  /** Undefined: the kernel cannot tell. */
  canTell = true;
  /** The terminal takes whole keystrokes until `full` is set. */
  full = false;
  write(bytes: string): boolean {
    if (this.full) return false;
    this.writes.push({ bytes, at: Date.now() });
    this.unread += 1;
    return true;
  }
  inputPending(): boolean | undefined {
    return this.canTell ? this.unread > 0 : undefined;
  }
  isOpen(): boolean {
    return this.open;
  }
  readAll(): void {
    this.unread = 0;
  }
}

const esc = { bytes: "\x1b", settle: true };
const enter = { bytes: "\r", settle: false };

describe("keystroke writer", () => {
  it("writes each keystroke on its own, in order, without waiting when none settles", async () => {
    const term = new FakeTerminal();
    const writer = new KeystrokeWriter(term, { gapMs: 10_000, budgetMs: 10_000 });
    await writer.type([{ bytes: "ls", settle: false }, { bytes: "\x1b[D", settle: false }, enter]);
    expect(term.writes.map((w) => w.bytes)).toEqual(["ls", "\x1b[D", "\r"]);
  });

  it("after Escape, waits until the program has read it, then the gap, before Enter", async () => {
    const term = new FakeTerminal();
    const writer = new KeystrokeWriter(term, { gapMs: 30, budgetMs: 10_000 });
    const typing = writer.type([esc, enter]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(term.writes.map((w) => w.bytes)).toEqual(["\x1b"]);
    const readAt = Date.now();
    term.readAll();
    await typing;
    expect(term.writes.map((w) => w.bytes)).toEqual(["\x1b", "\r"]);
    expect((term.writes[1]?.at ?? 0) - readAt).toBeGreaterThanOrEqual(29);
  });

  it("a program that never reads delays the call by the budget, not forever", async () => {
    const term = new FakeTerminal();
    const writer = new KeystrokeWriter(term, { gapMs: 20, budgetMs: 200 });
    const started = Date.now();
    await writer.type([esc, esc, esc, esc, esc, enter]);
    expect(term.writes).toHaveLength(6);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(199);
    expect(elapsed).toBeLessThan(5000);
  });

  it("when the kernel cannot tell, the gap alone separates the keys", async () => {
    const term = new FakeTerminal();
    term.canTell = false;
    const writer = new KeystrokeWriter(term, { gapMs: 40, budgetMs: 10_000 });
    await writer.type([esc, enter]);
    expect((term.writes[1]?.at ?? 0) - (term.writes[0]?.at ?? 0)).toBeGreaterThanOrEqual(39);
  });

  it("a call ending in Escape makes the next call wait before its first key", async () => {
    const term = new FakeTerminal();
    const writer = new KeystrokeWriter(term, { gapMs: 10, budgetMs: 10_000 });
    await writer.type([esc]);
    const next = writer.type([enter]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(term.writes).toHaveLength(1);
    term.readAll();
    await next;
    expect(term.writes.map((w) => w.bytes)).toEqual(["\x1b", "\r"]);
  });

  it("two calls never interleave their keystrokes", async () => {
    const term = new FakeTerminal();
    term.canTell = false;
    const writer = new KeystrokeWriter(term, { gapMs: 5, budgetMs: 10_000 });
    await Promise.all([
      writer.type([{ bytes: "a", settle: false }, esc, { bytes: "b", settle: false }]),
      writer.type([
        { bytes: "c", settle: false },
        { bytes: "d", settle: false },
      ]),
    ]);
    expect(term.writes.map((w) => w.bytes).join("")).toBe("a\x1bbcd");
  });

  it("stops writing once the process is gone", async () => {
    const term = new FakeTerminal();
    const writer = new KeystrokeWriter(term, { gapMs: 5, budgetMs: 10_000 });
    const typing = writer.type([esc, enter]);
    while (term.writes.length === 0) await new Promise((resolve) => setImmediate(resolve));
    term.open = false;
    await typing;
    expect(term.writes.map((w) => w.bytes)).toEqual(["\x1b"]);
  });

  it("stops at a keystroke the terminal takes only part of, and says how many were written", async () => {
    const terminal = new FakeTerminal();
    const writer = new KeystrokeWriter(terminal, { gapMs: 0, budgetMs: 0 });
    terminal.canTell = false;
    const strokes = ["a", "b", "c"].map((bytes) => ({ bytes, settle: false }));
    expect(await writer.type(strokes.slice(0, 1))).toBe(1);
    terminal.full = true;
    expect(await writer.type(strokes)).toBe(0);
    expect(terminal.writes.map((w) => w.bytes)).toEqual(["a"]);
  });
});
