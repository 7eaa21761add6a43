import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { type HistoryMark, PaneScreen } from "../../src/panes/pane-screen.js";

// Issue 16: plain lines bypass the emulator (PaneScreen's class comment). The screen, the history, the marks
// and every read must be exactly what parsing every byte gives. Random output (floods of plain lines of every
// length around the width, and everything that must stop the bypass: escape sequences, modes, scroll regions,
// the alternate screen, charsets, hidden text, links, lone CR and LF, tabs, UTF-8, long lines) is cut into
// random chunks and fed to a screen with the bypass and one without; reads of every kind, since-marks and
// resizes between the steps must answer alike.
const runs = Math.max(40, Math.floor(Number(process.env.CCMUX_FUZZ_RUNS ?? 200) / 2));
const params = { seed: 16, numRuns: runs };

const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

type Op =
  | { kind: "bytes"; text: string }
  | { kind: "flood"; lines: number; seed: number; narrow: boolean }
  | { kind: "read" }
  | { kind: "screen" }
  | { kind: "scrollback"; lines: number }
  | { kind: "since" }
  | { kind: "release" }
  | { kind: "resize"; cols: number; rows: number };

const PRINTABLE =
  " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/**
 * `lines` plain lines (CR LF), lengths around the width `cols` and its multiples, from a small PRNG; `narrow`:
 * nearly all fit a row (a build log's), so history takes them in whole blocks (RowHistory.pushPlainLines).
 */
function flood(lines: number, seed: number, cols: number, narrow = false): string {
  let state = seed >>> 0 || 1;
  const next = (n: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const lengths = [0, 1, 2, cols - 1, cols, cols + 1, 2 * cols, 2 * cols + 3, 3 * cols - 1];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const length = narrow
      ? next(600) === 0
        ? cols + 1 + next(cols)
        : next(cols + 1)
      : next(4) === 0
        ? (lengths[next(lengths.length)] as number)
        : next(cols * 2);
    let line = `${i}:`;
    while (line.length < length) line += PRINTABLE[next(PRINTABLE.length)];
    out.push(`${line.slice(0, Math.max(length, 0))}\r\n`);
  }
  return out.join("");
}

const sequences = [
  "\x1b[31m",
  "\x1b[0m",
  "\x1b[8m", // concealed
  "\x1b[28m",
  "\x1b[31;41m", // red on red: hidden
  "\x1b[H\x1b[2J",
  "\x1b[3J",
  "\x1bc",
  "\x1b[2;3r",
  "\x1b[r",
  "\x1b[?1049h",
  "\x1b[?1049l",
  "\x1b(0",
  "\x1b(B",
  "\x0e",
  "\x0f",
  "\x1b)0",
  "\x1b[4h",
  "\x1b[4l",
  "\x1b[?7l",
  "\x1b[?7h",
  "\x1b[2A",
  "\x1b[1;4H",
  "\x1b]8;;https://example.test/\x1b\\",
  "\x1b]8;;\x1b\\",
  "\x1b]0;title\x07",
  "\r",
  "\n",
  "\t",
  "\x07",
  "\x7f",
  "\x08",
  "\x1bM",
  "\x1bD",
  "\x1b[S", // scroll up: deletes the top row, which may continue a row in history
  "\x1b[T",
  "\x1b[M",
  "\x1b[L",
  "\x1b[2K",
  "\x1b#8", // DECALN
  "progress 10%\r", // a progress bar: CR, then the next write overwrites
  "\r\r\n",
  "é",
  "中",
  "e\u0301",
  "\x1b[", // half a sequence: the next bytes continue it
  "\xe4", // half a UTF-8 character (written as one byte below)
  "abc",
  "tail without newline",
  `${"L".repeat(5000)}\r\n`, // longer than a plain line may be
  "\r\n",
];

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...sequences).map((text) => ({ kind: "bytes" as const, text })) },
  {
    weight: 5,
    arbitrary: fc
      .record({
        lines: fc.integer({ min: 1, max: 1500 }),
        seed: fc.integer({ min: 1, max: 1 << 30 }),
        narrow: fc.boolean(),
      })
      .map((r) => ({ kind: "flood" as const, ...r })),
  },
  { weight: 3, arbitrary: fc.constant({ kind: "read" as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: "screen" as const }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 50 }).map((lines) => ({ kind: "scrollback" as const, lines })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "since" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "release" as const }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ cols: fc.integer({ min: 8, max: 30 }), rows: fc.integer({ min: 2, max: 8 }) })
      .map((r) => ({ kind: "resize" as const, ...r })),
  },
);

/** The two screens side by side: every read goes to both and must answer alike. */
class Pair {
  readonly fast: PaneScreen;
  readonly full: PaneScreen;
  private marks: [HistoryMark | undefined, HistoryMark | undefined] = [undefined, undefined];
  private since: [HistoryMark, HistoryMark] | undefined;
  private cols: number;

  constructor(cols: number, rows: number, scrollback: number) {
    this.cols = cols;
    this.fast = new PaneScreen({ cols, rows, scrollback });
    this.full = new PaneScreen({ cols, rows, scrollback, plainBypass: false });
    screens.push(this.fast, this.full);
    this.marks = [this.fast.markScreenTop(), this.full.markScreenTop()];
  }

  get width(): number {
    return this.cols;
  }

  /** Feeds the same bytes to both, cut at the same random places. */
  write(bytes: Buffer, cuts: number[]): void {
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      const end = Math.min(bytes.length, at + Math.max(1, cut));
      for (const screen of [this.fast, this.full]) screen.write(bytes.subarray(at, end), () => {});
      at = end;
      if (at >= bytes.length) break;
    }
  }

  apply(step: Op, label: string): void {
    const { fast, full } = this;
    switch (step.kind) {
      case "read": {
        const a = fast.renderFrom(this.marks[0], 2);
        const b = full.renderFrom(this.marks[1], 2);
        expect({ text: a.text, lost: a.lost }, label).toEqual({ text: b.text, lost: b.lost });
        expect(rowsOf(a.nextTop), label).toEqual(rowsOf(b.nextTop));
        expect(rowsOf(a.cursor), label).toEqual(rowsOf(b.cursor));
        this.marks = [a.cursor, b.cursor];
        break;
      }
      case "screen":
        expect(fast.renderScreen(), label).toBe(full.renderScreen());
        expect(fast.state(), label).toEqual(full.state());
        expect(fast.frame(), label).toEqual(full.frame());
        expect(fast.isAlternateScreen, label).toBe(full.isAlternateScreen);
        break;
      case "scrollback":
        expect(fast.renderScrollback(step.lines), label).toBe(full.renderScrollback(step.lines));
        break;
      case "since":
        if (this.since) break;
        this.since = [fast.markSince(), full.markSince()];
        break;
      case "release": {
        if (!this.since) break;
        const [a, b] = this.since;
        expect(fast.renderFrom(a).text, label).toBe(full.renderFrom(b).text);
        fast.releaseSince(a.since as number);
        full.releaseSince(b.since as number);
        this.since = undefined;
        break;
      }
      case "resize":
        fast.resize(step.cols, step.rows);
        full.resize(step.cols, step.rows);
        this.cols = step.cols;
        break;
      default:
        break;
    }
  }

  /**
   * Every read at the end, the whole history included; then both screens compact (the pane exited) and
   * every read must answer as before.
   */
  finish(label: string): void {
    const marks = [this.marks[0], this.marks[1]];
    const reads = [this.fast.renderFrom(marks[0], 2), this.full.renderFrom(marks[1], 2)];
    this.apply({ kind: "read" }, label);
    this.apply({ kind: "screen" }, label);
    const whole = this.full.renderScrollback();
    expect(this.fast.renderScrollback(), label).toBe(whole);
    const screen = this.full.renderScreen();
    const frame = this.full.frame();
    for (const s of [this.fast, this.full]) s.compact();
    for (const s of [this.fast, this.full]) {
      expect(s.renderScrollback(), `${label}, compacted`).toBe(whole);
      expect(s.renderScreen(), `${label}, compacted`).toBe(screen);
      expect(s.frame(), `${label}, compacted`).toEqual(frame);
    }
    [this.fast, this.full].forEach((s, i) => {
      expect(s.renderFrom(marks[i], 2).text, `${label}, compacted`).toBe(reads[i]?.text);
    });
    this.apply({ kind: "release" }, label);
  }
}

/** A mark without the screen's identity (each screen has its own). */
function rowsOf(mark: HistoryMark | undefined): unknown {
  if (mark === undefined) return undefined;
  const { screen: _screen, ...rest } = mark;
  return rest;
}

function bytesOf(step: Op, cols: number): Buffer | undefined {
  if (step.kind === "flood") return Buffer.from(flood(step.lines, step.seed, cols, step.narrow), "latin1");
  if (step.kind !== "bytes") return undefined;
  return step.text === "\xe4" ? Buffer.from([0xe4]) : Buffer.from(step.text);
}

describe("plain lines that bypass the emulator (issue 16)", () => {
  it("leave every read exactly as parsing every byte does, on random output cut at random places", () => {
    let bypassed = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(8, 10, 20, 30),
        fc.integer({ min: 2, max: 8 }),
        fc.constantFrom(100, 600, 5000),
        fc.array(op, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 30 }),
        (cols, rows, scrollback, ops, cuts) => {
          const pair = new Pair(cols, rows, scrollback);
          let bytes: Buffer[] = [];
          ops.forEach((step, index) => {
            const label = `step ${index} (${step.kind})`;
            const out = bytesOf(step, pair.width);
            if (out) {
              bytes.push(out);
              return;
            }
            pair.write(Buffer.concat(bytes), cuts);
            bytes = [];
            pair.apply(step, label);
          });
          pair.write(Buffer.concat(bytes), cuts);
          pair.finish("end");
          bypassed += pair.fast.bypassedRows;
        },
      ),
      params,
    );
    expect(bypassed, "the random floods took the bypass").toBeGreaterThan(runs * 100);
  });

  it("a flood under a since-mark (wait_for since: now, run) bypasses below the mark's row and reads alike", () => {
    const pair = new Pair(80, 24, 10_000);
    pair.write(Buffer.from("$ prompt\r\n$ cat big.txt"), [3]);
    pair.apply({ kind: "since" }, "mark");
    const text = `\r\n${flood(5_000, 11, 80)}$ `;
    pair.write(
      Buffer.from(text, "latin1"),
      Array.from({ length: 400 }, () => 2048),
    );
    expect(pair.fast.bypassedRows).toBeGreaterThan(4_000);
    pair.apply({ kind: "release" }, "since");
    pair.finish("since flood");
  });

  it("a CR that ends a write and is not followed by LF overwrites: held plain text never carries it into history", () => {
    // Attack review: "AAAAAAAAAA\r" then "BB\n" and a flood went to history as "AAAAAAAAAA\rBB".
    const pair = new Pair(40, 5, 10_000);
    const flood2000 = flood(2_000, 3, 40);
    const cuts = [5, 11, 4, ...Array.from({ length: 100 }, () => 2048)];
    pair.write(Buffer.from(`start\r\nAAAAAAAAAA\rBB\r\n${flood2000}`, "latin1"), cuts);
    expect(pair.fast.bypassedRows).toBeGreaterThan(1_000);
    pair.finish("progress");
    expect(pair.fast.renderScrollback()).toContain("start\nBBAAAAAAAA\n0:");
  });

  it("a wrapped line whose continuation SU deletes from the screen ends there in history, however it was cut", () => {
    // Attack review: ten 80-column lines on a 40-column screen, then LF and SU: history joined L8's first row
    // to L9 ("L8a…L9a…L9b"), a line never printed.
    const lines = Array.from({ length: 10 }, (_, i) => `L${i}a${"-".repeat(37)}L${i}b${"+".repeat(37)}`);
    const bytes = Buffer.from(`${lines.join("\r\n")}\r\n\x1b[S`);
    for (const cuts of [[bytes.length], [1], [700, 3], [200, 200, 200]]) {
      const pair = new Pair(40, 5, 10_000);
      pair.write(bytes, cuts);
      pair.finish(`cuts ${cuts.join(",")}`);
      const history = pair.full.renderScrollback();
      expect(history).not.toMatch(/L8a-+L9a/);
      expect(history).toContain(`${lines[9]}`);
    }
  });

  it("a flood of plain lines ends with the same screen, history and cursor, in 2 KB pieces", () => {
    const pair = new Pair(80, 24, 10_000);
    const text = flood(20_000, 7, 80);
    pair.write(
      Buffer.from(text, "latin1"),
      Array.from({ length: 1000 }, () => 2048),
    );
    pair.finish("flood");
    expect(pair.fast.renderScrollback(1)).toBe(text.split("\r\n").at(-2));
    // The bypass did the work: all but the rows the emulator must see went to history as text.
    expect(pair.fast.bypassedRows).toBeGreaterThan(20_000);
    expect(pair.full.bypassedRows).toBe(0);
  });

  it("a flood of lines that fit a row, in 40 KB reads, ends with the same screen, history and cursor", () => {
    // Nearly every line fits a row: history takes them in whole blocks, sliced from the text held.
    const pair = new Pair(80, 24, 10_000);
    const text = flood(30_000, 5, 80, true);
    pair.write(
      Buffer.from(text, "latin1"),
      Array.from({ length: 100 }, (_, i) => 40_960 - (i % 7) * 1000),
    );
    pair.finish("narrow flood");
    expect(pair.fast.renderScrollback(1)).toBe(text.split("\r\n").at(-2));
    expect(pair.fast.bypassedRows).toBeGreaterThan(29_000);
  });
});
