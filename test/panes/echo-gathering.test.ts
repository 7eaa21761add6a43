import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { applyFrameRows, type FrameUpdate, type PaneFrame } from "../../src/panes/screen-frame.js";
import type { ScreenPort } from "../../src/panes/screen-port.js";
import type { ToScreenThread } from "../../src/panes/screen-protocol.js";
import type { WorkerScreens } from "../../src/panes/worker-screens.js";
import { eventually } from "../support/mcp-harness.js";

/**
 * Echoes drawn ahead are gathered for the screen thread (worker-screens.ts ECHO_GATHER_MS, issue 13): a person's
 * keystroke wakes the pty-reading thread once, for its echo, not again for the screen thread's answers. What the
 * echoes owe is still delivered: at once when other output or a read comes, else after the gathering time.
 */
const DIST = resolve(import.meta.dirname, "../../dist/panes");
const built = existsSync(resolve(DIST, "worker-screens.js"));
const bytes = (text: string) => new TextEncoder().encode(text);
const rowText = (frame: PaneFrame, row: number) => (frame.lines[row] ?? []).map((run) => run[0]).join("");

let screens: WorkerScreens | undefined;
afterEach(async () => {
  await screens?.close();
  screens = undefined;
});

/** A screen on the screen thread showing `$ ` with one watcher, and the messages posted to the thread from then on. */
async function watchedPrompt() {
  if (!built) throw new Error("build first: npm run build");
  const { WorkerScreens: Screens } = (await import(
    resolve(DIST, "worker-screens.js")
  )) as typeof import("../../src/panes/worker-screens.js");
  screens = new Screens();
  const port: ScreenPort = screens.create({ cols: 40, rows: 5, scrollback: 100 });
  let frame: PaneFrame | undefined;
  const echoes: string[] = [];
  const watch = port.watchFrames((update: FrameUpdate, _streaming, echo) => {
    frame = "frame" in update ? update.frame : frame && applyFrameRows(frame, update.rows);
    if (echo) echoes.push(echo.text);
    else watch.want();
  });
  watch.want();
  const parsed: string[] = [];
  port.write(bytes("$ "), () => parsed.push("$ "));
  await eventually(() => frame !== undefined && rowText(frame, 0) === "$");
  const worker = (screens as unknown as { worker: Worker }).worker;
  const posted: ToScreenThread[] = [];
  const post = worker.postMessage.bind(worker);
  worker.postMessage = (message: ToScreenThread, transfer?: never) => {
    posted.push(message);
    post(message, transfer);
  };
  const writes = () => posted.filter((message) => message.op === "write").length;
  return { port, frame: () => frame, echoes, parsed, writes };
}

describe("echoes drawn ahead are gathered for the screen thread", () => {
  it("typed text shows at once in the view; the screen thread gets it with the next other output, in one batch", async () => {
    const { port, frame, echoes, parsed, writes } = await watchedPrompt();
    for (const key of ["l", "s"]) port.write(bytes(key), () => parsed.push(key));
    expect(echoes).toEqual(["l", "s"]);
    expect(rowText(frame() as PaneFrame, 0)).toBe("$ ls");
    // Nothing was posted for them yet: each keystroke cost the reading thread no message.
    expect(writes()).toBe(0);
    port.write(bytes("\r\nfile\r\n$ "), () => parsed.push("output"));
    // Output that is not an echo goes at once, with the echoes before it.
    expect(writes()).toBe(1);
    await eventually(() => parsed.length === 4);
    expect(parsed).toEqual(["$ ", "l", "s", "output"]);
    await eventually(() => rowText(frame() as PaneFrame, 2) === "$");
    expect(await port.frame()).toEqual(frame());
  });

  it("a read of the screen posts the gathered echoes first: it answers with them", async () => {
    const { port, writes } = await watchedPrompt();
    port.write(bytes("x"), () => {});
    expect(writes()).toBe(0);
    const read = port.frame();
    expect(writes()).toBe(1);
    expect(rowText(await read, 0)).toBe("$ x");
  });

  it("an echo some watcher could not draw ahead goes to the screen thread at once: that watcher waits for it", async () => {
    const { port, echoes, writes } = await watchedPrompt();
    // A second watcher that has had no update yet cannot draw echoes (it does not know the screen).
    const late: FrameUpdate[] = [];
    const second = port.watchFrames((update) => late.push(update));
    port.write(bytes("z"), () => {});
    expect(echoes).toEqual(["z"]);
    expect(writes()).toBe(1);
    second.want();
    await eventually(() => late.length > 0);
    second.close();
  });

  it("with nothing else coming, the gathered echoes are parsed anyway, and each owed update reaches the view", async () => {
    const { port, frame, parsed } = await watchedPrompt();
    port.write(bytes("q"), () => parsed.push("q"));
    await eventually(() => parsed.includes("q"));
    expect(await port.frame()).toEqual(frame());
  });
});
