import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PaneHost, PaneSpawnSpec } from "../../src/panes/pane-host.js";
import { applyFrameRows, type FrameUpdate, type PaneFrame } from "../../src/panes/screen-frame.js";
import type { ScreenFactory } from "../../src/panes/screen-port.js";
import { eventually } from "../support/mcp-harness.js";

/**
 * PaneHost.watchFrames (what `ccmux attach` draws from), with both screen factories: updates are pushed by
 * the thread that parses the pane's output, with no frame read asked for, and assembled they equal frame().
 */
const DIST = resolve(import.meta.dirname, "../../dist/panes");
const built = existsSync(resolve(DIST, "screen-thread.js"));
const LIMITS = { maxPanes: 4, maxExitedPanes: 4 };
const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TERM: "xterm-256color" };

/** Wraps a screen factory, counting the frame reads its screens are asked for. */
function countingFrames(factory: ScreenFactory): { factory: ScreenFactory; frameReads: () => number } {
  let reads = 0;
  return {
    factory: {
      create: (options) => {
        const port = factory.create(options);
        const frame = port.frame.bind(port);
        port.frame = () => {
          reads += 1;
          return frame();
        };
        return port;
      },
      close: () => factory.close(),
    },
    frameReads: () => reads,
  };
}

const FACTORIES: Array<[string, () => Promise<ScreenFactory>]> = [
  [
    "screens on the calling thread",
    async () => new (await import("../../src/panes/local-screens.js")).LocalScreens(),
  ],
  [
    "screens on the screen thread",
    async () => {
      if (!built) throw new Error("build first: npm run build");
      const { WorkerScreens } = (await import(
        resolve(DIST, "worker-screens.js")
      )) as typeof import("../../src/panes/worker-screens.js");
      return new WorkerScreens();
    },
  ],
];

function spec(argv: string[]): PaneSpawnSpec {
  return {
    name: "watch",
    argv,
    cwd: process.cwd(),
    env: ENV,
    cols: 40,
    rows: 6,
    scrollback: 100,
    owner: { kind: "agent", session: "s-watch" },
    input: "raw",
    sandboxed: false,
  };
}

const rowText = (frame: PaneFrame, row: number): string =>
  (frame.lines[row] ?? []).map(([text]) => text).join("");

describe.each(FACTORIES)("PaneHost.watchFrames: %s", (name, makeScreens) => {
  let host: PaneHost | undefined;
  let base: string | undefined;
  afterEach(async () => {
    await host?.shutdown();
    if (base) rmSync(base, { recursive: true, force: true });
    host = undefined;
  });

  async function start(): Promise<{ host: PaneHost; frameReads: () => number }> {
    // The screens are counted where the host asks them, on either thread.
    const { EmbeddedPaneHost } = await import("../../src/panes/embedded/embedded-pane-host.js");
    const counted = countingFrames(await makeScreens());
    base = mkdtempSync(join(tmpdir(), "ccmux-watch-"));
    host = new EmbeddedPaneHost(LIMITS, counted.factory, undefined, { sessionBase: base });
    return { host, frameReads: counted.frameReads };
  }

  it("a keystroke's echo is pushed as its changed row, with no frame read; assembled it is frame()", async () => {
    const { host: h, frameReads } = await start();
    const { pane } = await h.spawn(spec(["cat"]));
    const updates: Array<{ update: FrameUpdate; streaming: boolean; echoed: boolean }> = [];
    let frame: PaneFrame | undefined;
    // As the attach daemon's viewer: the next want right after each update, none after an echo drawn ahead.
    const watch = h.watchFrames(pane.id, (update, streaming, echo) => {
      const echoed = echo !== undefined;
      updates.push({ update, streaming, echoed });
      frame = "frame" in update ? update.frame : frame && applyFrameRows(frame, update.rows);
      if (!echoed) watch.want();
    });
    watch.want();
    await eventually(() => frame !== undefined);
    expect(updates[0]).toMatchObject({ streaming: false, echoed: false });
    expect("frame" in (updates[0] as (typeof updates)[number]).update).toBe(true);
    for (const typed of ["a", "ab", "abc"]) {
      // The last key's echo is parsed, and what its parse owed the watcher has arrived, before the next key:
      // a read answers after both (a late update of "ab" came after "c" was typed once, in CI under load).
      await h.read(pane.id, "screen", "test");
      const before = updates.length;
      h.typePersonText(pane.id, typed.at(-1) as string);
      await eventually(() => frame && rowText(frame, 0) === typed);
      const first = updates[before];
      // The echo waited for its change: not streaming, so the viewer asks for the next one at once.
      expect(first?.streaming).toBe(false);
      expect(first?.update).toMatchObject({
        rows: { changed: [[0, [[typed, -1, -1, 0]]]], cursor: { row: 0 } },
      });
      // On the screen thread, plain text printed at the cursor is drawn before the thread parses it (issue 13).
      expect(first?.echoed).toBe(name === "screens on the screen thread");
    }
    expect(frameReads()).toBe(0);
    expect(frame).toEqual(await h.frame(pane.id));
    watch.close();
  });

  it("a want while output streams is answered at once, flagged streaming; a closed watch gets nothing", async () => {
    const { host: h } = await start();
    const { pane } = await h.spawn(spec(["/bin/sh", "-c", "while :; do echo line; done"]));
    const updates: Array<{ update: FrameUpdate; streaming: boolean }> = [];
    const watch = h.watchFrames(pane.id, (update, streaming) => updates.push({ update, streaming }));
    watch.want();
    await expect.poll(() => updates.length, { timeout: 10_000 }).toBe(1);
    // The pane prints on: by the time the want arrives the screen has changed again.
    await expect.poll(() => h.frame(pane.id).then((f) => rowText(f, 1)), { timeout: 10_000 }).toBe("line");
    watch.want();
    await expect.poll(() => updates.length, { timeout: 10_000 }).toBe(2);
    expect(updates[1]?.streaming).toBe(true);
    watch.close();
    watch.want();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(updates).toHaveLength(2);
  });
});
