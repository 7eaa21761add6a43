import xtermHeadless from "@xterm/headless";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { FrameWatcher } from "../../src/panes/frame-rows.js";
import { PaneScreen } from "../../src/panes/pane-screen.js";
import { rowCells } from "../../src/panes/row-cells.js";
import { applyFrameRows, type FrameUpdate, type PaneFrame } from "../../src/panes/screen-frame.js";

const { Terminal } = xtermHeadless;
const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 200);

const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

function makeScreen(cols = 40, rows = 6): PaneScreen {
  const screen = new PaneScreen({ cols, rows, scrollback: 100 });
  screens.push(screen);
  return screen;
}

const write = (screen: PaneScreen, text: string): void => screen.write(Buffer.from(text), () => {});

/** A person's view: the frame it holds, moved on by each update as the attach client does. */
class View {
  readonly watcher = new FrameWatcher();
  frame: PaneFrame | undefined;
  updates: FrameUpdate[] = [];

  take(screen: PaneScreen): FrameUpdate | undefined {
    const update = screen.frameUpdate(this.watcher);
    if (update === undefined) return undefined;
    this.updates.push(update);
    if ("frame" in update) this.frame = update.frame;
    else {
      expect(this.frame).toBeDefined();
      const next = applyFrameRows(this.frame as PaneFrame, update.rows);
      expect(next).toBeDefined();
      this.frame = next;
    }
    return update;
  }
}

describe("frame watchers: the whole frame, then the rows that changed", () => {
  it("reads this @xterm/headless version's row cells (not the fallback that reads every row each time)", () => {
    const term = new Terminal({ cols: 10, rows: 2, allowProposedApi: true });
    const line = term.buffer.active.getLine(0);
    expect(line).toBeDefined();
    const cells = rowCells(line as NonNullable<typeof line>);
    expect(cells?.length).toBe(10);
    expect(cells?.data).toBeInstanceOf(Uint32Array);
    term.dispose();
  });

  it("the first update is the whole frame; typing one character sends its row and the cursor only", () => {
    const screen = makeScreen(40, 6);
    write(screen, "line one\r\nline two\r\n$ ");
    const view = new View();
    expect(view.take(screen)).toEqual({ frame: screen.frame() });
    expect(view.take(screen)).toBeUndefined(); // nothing changed
    write(screen, "x");
    const update = view.take(screen);
    expect(update).toEqual({
      rows: {
        cols: 40,
        rows: 6,
        changed: [[2, [["$ x", -1, -1, 0]]]],
        cursor: { row: 2, col: 3 },
        cursorVisible: true,
        alternate: false,
      },
    });
    expect(view.frame).toEqual(screen.frame());
  });

  it("a cursor that moves alone is sent without rows; output that rewrites a row as it was sends nothing", () => {
    const screen = makeScreen(20, 4);
    write(screen, "abc\r\ndef");
    const view = new View();
    view.take(screen);
    write(screen, "\x1b[1;2H");
    expect(view.take(screen)).toEqual({
      rows: expect.objectContaining({ changed: [], cursor: { row: 0, col: 1 } }),
    });
    write(screen, "bc\x1b[1;2H");
    expect(view.take(screen)).toBeUndefined();
  });

  it("a combined character replaced by another is seen (its cell's words stay the same)", () => {
    const screen = makeScreen(20, 3);
    write(screen, "e\u0301 \x1b[4:3mu\x1b[0m");
    const view = new View();
    view.take(screen);
    // The cursor goes back where it was: only the combined cell's text differs.
    write(screen, "\x1b[1;1He\u0300\x1b[1;4H");
    expect(view.take(screen)).toMatchObject({
      rows: {
        changed: [
          [
            0,
            [
              ["e\u0300 ", -1, -1, 0],
              ["u", -1, -1, 8],
            ],
          ],
        ],
      },
    });
    expect(view.frame).toEqual(screen.frame());
  });

  it("a resize sends the whole frame again; so does a screen the watcher has not seen", () => {
    const screen = makeScreen(20, 3);
    write(screen, "hello");
    const view = new View();
    view.take(screen);
    screen.resize(30, 5);
    expect(view.take(screen)).toEqual({ frame: screen.frame() });
    const other = makeScreen(30, 5);
    write(other, "hello");
    expect(view.take(other)).toEqual({ frame: other.frame() });
  });

  it("updates assembled in order equal frame(), for watchers taking them at any pace (property)", () => {
    const piece = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 6 }),
      fc.constantFrom(
        "\r\n",
        "\r",
        "\t",
        "x",
        "\x1b[0m",
        "\x1b[1;31m",
        "\x1b[7;42m",
        "\x1b[38;2;9;9;9;48;2;9;9;9m",
        "\x1b[8m",
        "\x1b[4:3m",
        "\x1b[4:0m",
        "\x1b[44m\x1b[K",
        "\x1b[2K",
        "\x1b[3G",
        "\x1b[2;5H",
        "\x1b[H",
        "\x1b[?1049h",
        "\x1b[?1049l",
        "\x1b[?25l",
        "\x1b[?25h",
        "\x1b[3@",
        "\x1b[2P",
        "\x1b[3b",
        "\x1b[2J",
        "\x1b[1;2r",
        "\x1b[r",
        "\x1bc",
        "\x1b[5S",
        "\x1b[2T",
        "\x1bM",
        "中",
        "e\u0301",
        "e\u0300",
        "\u202E",
        "\u200B",
      ),
    );
    const step = fc.oneof(
      { weight: 8, arbitrary: piece.map((text) => ({ text })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 1, max: 6 }))
          .map(([cols, rows]) => ({ resize: { cols, rows } })),
      },
    );
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 40 }),
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 5 }),
        (steps, cols, rows, pace) => {
          const screen = makeScreen(cols, rows);
          const eager = new View();
          const lazy = new View();
          eager.take(screen);
          steps.forEach((each, i) => {
            if ("text" in each) write(screen, each.text);
            else screen.resize(each.resize.cols, each.resize.rows);
            eager.take(screen);
            expect(eager.frame).toEqual(screen.frame());
            if (i % pace === 0) {
              lazy.take(screen);
              expect(lazy.frame).toEqual(screen.frame());
            }
          });
          lazy.take(screen);
          expect(lazy.frame).toEqual(screen.frame());
          // Plain data: updates cross the daemon socket as JSON unchanged.
          for (const update of eager.updates) expect(JSON.parse(JSON.stringify(update))).toEqual(update);
          screens.pop()?.dispose();
        },
      ),
      { seed: 42, numRuns: runs },
    );
  });
});
