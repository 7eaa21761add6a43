import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ScreenPort } from "../../src/panes/screen-port.js";

// The screen thread runs compiled JavaScript, so this suite drives the build (npm test builds first).
const DIST = resolve(import.meta.dirname, "../../dist/panes");
const built = existsSync(resolve(DIST, "screen-thread.js"));

type Screens = import("../../src/panes/worker-screens.js").WorkerScreens;

async function workerScreens(): Promise<Screens> {
  const { WorkerScreens } = (await import(
    resolve(DIST, "worker-screens.js")
  )) as typeof import("../../src/panes/worker-screens.js");
  return new WorkerScreens();
}

// Attack review of the parse-cost bound: a pane's backlog is bounded by what its output cost so far, so output
// that turns costly at once sits behind a bound let in at the cheap rate. REP of a screenful at 400×200 costs
// ~2.7 ms for its 9 bytes: 300 KB of it is ~90 s of parsing, which every read of the pane waited for (124 s
// measured), and whose first 2 KB piece held every other pane's reads for 0.6 s.
const REP = "x\x1b[65535b";
const COSTLY_BYTES = 300_000;
/** A read waits 2 s for its pane's backlog (screen-thread.ts CALL_WAIT_MS); the rest is room for a busy machine. */
const MAX_CALL_MS = 8000;
/** The old first piece alone took 620 ms; a piece now holds one screenful sequence at this size (~3 ms). */
const MAX_OTHER_READ_MS = 400;

/** Writes `bytes` of `unit` repeated in 4 KB writes, as a pty read would deliver them; resolves as all are parsed. */
function writeRepeated(port: ScreenPort, unit: string, bytes: number): Promise<void> {
  const piece = Buffer.from(unit.repeat(Math.ceil(4096 / unit.length)));
  const writes: Promise<void>[] = [];
  for (let written = 0; written < bytes; written += piece.byteLength)
    writes.push(new Promise((done) => port.write(piece, done)));
  return Promise.all(writes).then(() => {});
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
}

describe.skipIf(!built)("a backlog of output that turned costly (needs `npm run build`)", () => {
  let screens: Screens | undefined;
  afterEach(async () => {
    await screens?.close();
  });

  it("a read of the pane printing screenfuls of REP answers within its wait limit, saying how far behind it is", async () => {
    screens = await workerScreens();
    const port = screens.create({ cols: 400, rows: 200, scrollback: 1000 });
    await new Promise<void>((done) => port.write(Buffer.from("before the flood\r\n"), done));
    void writeRepeated(port, REP, COSTLY_BYTES);
    const read = await timed(port.snapshot());
    expect(read.ms).toBeLessThan(MAX_CALL_MS);
    expect(port.behindBytes).toBeGreaterThan(COSTLY_BYTES / 2);
    // The next read waits its limit again and is still behind: nothing was dropped to answer the first.
    const again = await timed(port.snapshot());
    expect(again.ms).toBeLessThan(MAX_CALL_MS);
    expect(port.behindBytes).toBeGreaterThan(0);
  }, 60_000);

  it("a resize under that backlog applies within the wait limit, and so do reads after it", async () => {
    screens = await workerScreens();
    const port = screens.create({ cols: 400, rows: 200, scrollback: 1000 });
    void writeRepeated(port, REP, COSTLY_BYTES);
    const resized = await timed(port.resize(20, 5));
    expect(resized.ms).toBeLessThan(MAX_CALL_MS);
    // The backlog is now parsed at 20×5, where a screenful REP is dropped (emulator-guards.ts): it drains fast.
    const read = await timed(port.snapshot());
    expect(read.ms).toBeLessThan(MAX_CALL_MS);
    expect(read.value.text.split("\n")).toHaveLength(5);
  }, 60_000);

  it("a since-mark taken under that backlog waits for it: what was printed before the mark never reads as new", async () => {
    screens = await workerScreens();
    const port = screens.create({ cols: 400, rows: 200, scrollback: 1000 });
    const rep = writeRepeated(port, REP, 20_000); // ~6 s of parsing
    const old = new Promise<void>((done) => port.write(Buffer.from("\x1b[2J\x1b[HOLD-MARKER\r\n"), done));
    const mark = port.markSince();
    const read = await timed(port.snapshot()); // taken after the mark, answered before it
    expect(read.ms).toBeLessThan(MAX_CALL_MS);
    expect(port.behindBytes).toBeGreaterThan(0);
    const since = await mark;
    await Promise.all([rep, old]);
    await new Promise<void>((done) => port.write(Buffer.from("NEW-MARKER\r\n"), done));
    const text = (await port.renderFrom(since)).text;
    expect(text).toContain("NEW-MARKER");
    expect(text).not.toContain("OLD-MARKER");
  }, 60_000);

  it("discardBacklog acknowledges every write at once, and reads are up to date after it", async () => {
    screens = await workerScreens();
    const port = screens.create({ cols: 400, rows: 200, scrollback: 1000 });
    const parsed = writeRepeated(port, REP, COSTLY_BYTES);
    await port.snapshot(); // answered after its wait limit: the thread is well into the backlog
    expect(port.behindBytes).toBeGreaterThan(0);
    port.discardBacklog();
    const acknowledged = await timed(parsed);
    expect(acknowledged.ms).toBeLessThan(MAX_CALL_MS / 2);
    await new Promise<void>((done) => port.write(Buffer.from("\x1b[2J\x1b[Hafter the drop"), done));
    const read = await port.snapshot();
    expect(port.behindBytes).toBe(0);
    expect(read.text).toContain("after the drop");
  }, 60_000);

  it(`reads of a quiet pane stay under ${MAX_OTHER_READ_MS} ms as another pane turns from plain lines to screenfuls of REP`, async () => {
    screens = await workerScreens();
    const quiet = screens.create({ cols: 80, rows: 24, scrollback: 1000 });
    await new Promise<void>((done) => quiet.write(Buffer.from("quiet pane\r\n"), done));
    const flood = screens.create({ cols: 400, rows: 200, scrollback: 1000 });
    const reads: number[] = [];
    // Three turns from cheap to costly: each used to start with a full-size piece.
    for (let turn = 0; turn < 3; turn++) {
      await writeRepeated(flood, "hello world plain line\r\n", 200_000);
      void writeRepeated(flood, REP, 20_000);
      for (let i = 0; i < 20; i++) {
        const read = await timed(quiet.snapshot());
        expect(read.value.text).toContain("quiet pane");
        reads.push(read.ms);
      }
      flood.discardBacklog();
    }
    console.log(`quiet reads: max ${Math.round(Math.max(...reads))} ms over ${reads.length}`);
    expect(Math.max(...reads)).toBeLessThan(MAX_OTHER_READ_MS);
  }, 60_000);
});
