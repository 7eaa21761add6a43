import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EchoView } from "../../src/panes/echo-view.js";
import type { EchoState } from "../../src/panes/frame-echo.js";
import { FrameWants } from "../../src/panes/frame-wants.js";
import type { PaneScreen } from "../../src/panes/pane-screen.js";
import { applyFrameRows, type FrameUpdate, type PaneFrame } from "../../src/panes/screen-frame.js";
import { screenMaker, writeTo } from "../support/pane-screens.js";

/**
 * EchoView (issue 13): a person's view that draws echoes on the pty-reading thread, ahead of the screen thread's
 * updates. Whatever the order in which output arrives and the screen thread catches up, every frame the watcher
 * holds is the screen exactly as it was after some prefix of the output (never a frame that lost an echo it
 * showed, never one no emulator gave), and once the screen thread has caught up the two are equal.
 */
const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 200);

const makeScreen = screenMaker();
const write = writeTo;

/**
 * A pane's output as it reaches the pty-reading thread (echoes offered to the view, then queued) and the screen
 * thread (parsing what is queued, one or more chunks at a time, then answering the watcher's want through
 * FrameWants, as screen-thread.ts does). The watcher asks again right after each update, as a person's view does;
 * after an echo, and after a held update, the pty-reading side asks with `through`, as worker-screens.ts does.
 * `reference` parses each chunk at once: the frame after every prefix of the output, by its length in bytes.
 */
class Pipeline {
  readonly screen: PaneScreen;
  readonly reference: PaneScreen;
  readonly wants = new FrameWants();
  readonly view = new EchoView();
  readonly prefixes = new Map<number, PaneFrame>();
  readonly queue: Uint8Array[] = [];
  shown: PaneFrame | undefined;
  written = 0;
  echoes = 0;
  held = 0;
  /** How much output the watcher's frame showed last: it never goes back. */
  through = 0;
  private readonly send = (
    _watch: number,
    update: FrameUpdate,
    _streaming: boolean,
    state: EchoState,
  ): void => {
    const given = this.view.fromScreen(update, state);
    if (given === undefined) {
      this.held += 1;
      this.want(this.view.ahead);
    } else {
      this.take(given, state.through);
      this.want();
    }
  };

  constructor(cols: number, rows: number) {
    this.screen = makeScreen(cols, rows);
    this.reference = makeScreen(cols, rows);
    this.prefixes.set(0, this.reference.frame());
    this.wants.add(1);
    this.want();
  }

  output(chunk: Uint8Array): void {
    const echo = this.view.echo(chunk, this.written);
    this.written += chunk.byteLength;
    write(this.reference, chunk);
    this.prefixes.set(this.written, this.reference.frame());
    this.queue.push(chunk);
    if (echo) {
      this.echoes += 1;
      this.take({ rows: echo.rows }, this.written);
      this.want(this.view.ahead);
    }
  }

  /** The screen thread parses the `count` oldest chunks queued, then answers the open want if it can. */
  parse(count = 1): void {
    for (const chunk of this.queue.splice(0, count)) write(this.screen, chunk);
    this.wants.changed(this.screen, this.send);
  }

  private want(through?: number): void {
    this.wants.want(1, false, this.screen, this.send, through);
  }

  /**
   * The watcher applies an update as the attach client does; it must then show the screen after `through` bytes,
   * and no less output than before.
   */
  private take(update: FrameUpdate, through: number): void {
    if ("frame" in update) this.shown = update.frame;
    else {
      const next = this.shown && applyFrameRows(this.shown, update.rows);
      expect(next).toBeDefined();
      this.shown = next;
    }
    expect(this.shown).toEqual(this.prefixes.get(through));
    expect(through).toBeGreaterThanOrEqual(this.through);
    this.through = through;
  }
}

const typed = fc
  .array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: 3 })
  .map((codes) => Buffer.from(String.fromCharCode(...codes)));
const other = fc
  .constantFrom(
    "\r\n",
    "\b \b",
    "\r$ \x1b[K",
    "\x1b[31m",
    "\x1b[0m",
    "\x1b[2J\x1b[H",
    "日",
    "\x1b[4h",
    "\x1b[4l",
    "\x1b[",
    "m",
  )
  .map((text) => Buffer.from(text));
const step = fc.oneof(
  { arbitrary: typed.map((chunk) => ({ chunk })), weight: 4 },
  { arbitrary: other.map((chunk) => ({ chunk })), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 3 }).map((parse) => ({ parse })), weight: 3 },
);

describe("EchoView: echoes ahead of the screen thread", () => {
  it("every frame the watcher holds is the screen after some prefix of the output, and the last is the screen's", () => {
    let echoes = 0;
    let held = 0;
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 30 }), fc.array(step, { maxLength: 40 }), (cols, steps) => {
        const pipeline = new Pipeline(cols, 4);
        pipeline.output(Buffer.from("\x1b[0m$ "));
        pipeline.parse();
        for (const each of steps) {
          if ("parse" in each) pipeline.parse(each.parse);
          else pipeline.output(each.chunk);
        }
        while (pipeline.queue.length > 0) pipeline.parse();
        expect(pipeline.shown).toEqual(pipeline.screen.frame());
        echoes += pipeline.echoes;
        held += pipeline.held;
      }),
      { numRuns: runs },
    );
    // Echoes were drawn, and updates held behind them: both paths were tried.
    expect(echoes).toBeGreaterThan(runs);
    expect(held).toBeGreaterThan(runs / 10);
  });

  it("two keystrokes echoed before the screen thread parsed either: its first update is held, its second carries both", () => {
    const pipeline = new Pipeline(20, 3);
    pipeline.output(Buffer.from("\x1b[0m$ "));
    pipeline.parse();
    pipeline.output(Buffer.from("a"));
    pipeline.output(Buffer.from("b"));
    expect(pipeline.echoes).toBe(2);
    pipeline.parse();
    expect(pipeline.held).toBe(1);
    pipeline.parse();
    expect(pipeline.shown).toEqual(pipeline.screen.frame());
    expect(pipeline.shown?.lines[0]).toEqual([["$ ab", -1, -1, 0]]);
  });

  it("text echoed and erased before the screen thread looked again does not stay on the view (ghost text)", async () => {
    const pipeline = new Pipeline(30, 3);
    pipeline.output(Buffer.from("\x1b[0m$ "));
    pipeline.parse();
    pipeline.output(Buffer.from("rm -rf ~ approved"));
    expect(pipeline.echoes).toBe(1);
    pipeline.output(Buffer.from("\r\x1b[0m$ \x1b[K"));
    // Both parsed before the next look: the screen is as it was before the text, so nothing it shows changed.
    pipeline.parse(2);
    expect(pipeline.shown).toEqual(pipeline.screen.frame());
    expect(pipeline.shown?.lines[0]).toEqual([["$", -1, -1, 0]]);
  });

  it("draws no echo while output before it is still unparsed, nor after a reset until the next update", () => {
    const pipeline = new Pipeline(20, 3);
    pipeline.output(Buffer.from("\x1b[0m$ "));
    pipeline.output(Buffer.from("a"));
    expect(pipeline.echoes).toBe(0);
    pipeline.parse();
    pipeline.parse();
    pipeline.view.reset();
    pipeline.output(Buffer.from("b"));
    expect(pipeline.echoes).toBe(0);
    pipeline.parse();
    pipeline.output(Buffer.from("c"));
    expect(pipeline.echoes).toBe(1);
  });
});
