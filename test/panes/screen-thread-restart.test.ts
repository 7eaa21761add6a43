import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { applyFrameRows, type FrameUpdate, type PaneFrame } from "../../src/panes/screen-frame.js";
import type { ScreenPort } from "../../src/panes/screen-port.js";

// The screen thread runs compiled JavaScript, so this suite drives the build (npm test builds first).
const DIST = resolve(import.meta.dirname, "../../dist/panes");
const built = existsSync(resolve(DIST, "screen-thread.js"));

type Factory = import("../../src/panes/worker-screens.js").WorkerScreens;

const write = (port: ScreenPort, text: string): Promise<void> =>
  new Promise((done) => port.write(Buffer.from(text), done));

/**
 * 1000 rows of 200 wide characters, drawn at random from 20 000 CJK ideographs: history that deflating
 * barely shrinks (RowHistory packs its blocks), so a pane's history really fills the heap.
 */
function hogChunk(): string {
  let state = 16;
  const row = () =>
    Array.from({ length: 200 }, () => {
      state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
      return String.fromCharCode(0x4e00 + ((state >>> 8) % 20_000));
    }).join("");
  return Array.from({ length: 1000 }, () => `${row()}\r\n`).join("");
}

describe.skipIf(!built)("a fault in the emulator never takes the server down (needs `npm run build`)", () => {
  let screens: Factory | undefined;
  // The worker is unref'd (the server's stdio keeps it alive); here a timer does.
  const keepAlive = setInterval(() => {}, 1000);
  afterEach(async () => {
    await screens?.close();
  });
  afterAll(() => clearInterval(keepAlive));

  it("screen thread out of memory: it restarts, every pane gets a note, the culprit is named, reads go on", async () => {
    const { WorkerScreens } = (await import(
      resolve(DIST, "worker-screens.js")
    )) as typeof import("../../src/panes/worker-screens.js");
    // A real out-of-memory: a heap far below what one pane's (bounded) history may hold.
    screens = new WorkerScreens({ maxOldGenerationSizeMb: 24 });
    const hog = screens.create({ cols: 400, rows: 50, scrollback: 1_000_000 });
    const person = screens.create({ cols: 80, rows: 24, scrollback: 100 });
    await write(person, "person-before\r\n");
    expect((await person.snapshot()).text).toBe("person-before");
    // A person watching the other pane, with a want open across the fault.
    const updates: FrameUpdate[] = [];
    const watch = person.watchFrames((update) => updates.push(update));
    watch.want();
    await expect.poll(() => updates.length).toBe(1);
    watch.want();
    const chunk = hogChunk();
    for (let i = 0; i < 500 && hog.lostNote === undefined; i++) await write(hog, chunk);
    expect(hog.lostNote).toMatch(
      /screen was lost at .*\(its output crashed the screen thread: out of memory\)/,
    );
    expect(person.lostNote).toMatch(
      /screen was lost at .* failed on another pane's output \(out of memory\)/,
    );
    // The watcher starts over on the new thread: its open want gets the new screen whole.
    await expect.poll(() => updates.length).toBe(2);
    expect("frame" in (updates[1] as FrameUpdate)).toBe(true);
    // The other pane keeps going on the new thread.
    watch.want();
    await write(person, "person-after\r\n");
    await expect.poll(() => updates.length).toBe(3);
    const seen = applyFrameRows(
      (updates[1] as { frame: PaneFrame }).frame,
      (updates[2] as Extract<FrameUpdate, { rows: unknown }>).rows,
    );
    expect(seen).toEqual(await person.frame());
    watch.close();
    const started = performance.now();
    expect((await person.snapshot()).text).toBe("person-after");
    expect(performance.now() - started).toBeLessThan(1000);
    await write(hog, "hog-after\r\n");
    expect((await hog.snapshot()).text).toBe("hog-after");
    // What a person attached to it sees is the new screen too.
    expect((await hog.frame()).lines[0]).toEqual([["hog-after", -1, -1, 0]]);
  }, 120_000);

  it("new-output marks taken before the fault read everything held after it, flagged lost", async () => {
    const { WorkerScreens } = (await import(
      resolve(DIST, "worker-screens.js")
    )) as typeof import("../../src/panes/worker-screens.js");
    screens = new WorkerScreens({ maxOldGenerationSizeMb: 24 });
    const hog = screens.create({ cols: 400, rows: 50, scrollback: 1_000_000 });
    const person = screens.create({ cols: 80, rows: 24, scrollback: 100 });
    for (let i = 0; i < 30; i++) await write(person, `line-${i}\r\n`);
    const mark = (await person.renderFrom({ row: 0 })).cursor;
    const chunk = hogChunk();
    for (let i = 0; i < 500 && hog.lostNote === undefined; i++) await write(hog, chunk);
    await write(person, "after-restart\r\n");
    const read = await person.renderFrom(mark);
    expect(read.lost).toBe(true);
    expect(read.text).toBe("after-restart");
  }, 120_000);
});
