import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import type { FromScreenThread } from "../../src/panes/screen-protocol.js";
import { eventually } from "../support/mcp-harness.js";

/**
 * Attack review (2026-12-03), from reading the screen thread: when a pane's emulator throws, its screen is
 * replaced by an empty one, which counted the pane's output from 0 again. A person's view counts it since the pane
 * began (EchoView), so it held back every update until the new screen had parsed as much again, and drew no echo.
 * The emulator cannot be made to throw from outside (xterm.js catches its own parse errors): the fault is injected
 * by a thread that wraps PaneScreen.write before it runs the real screen thread.
 */
const DIST = resolve(import.meta.dirname, "../../dist/panes");
const built = existsSync(resolve(DIST, "screen-thread.js"));

let worker: Worker | undefined;
let dir: string | undefined;
afterEach(async () => {
  await worker?.terminate();
  worker = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function faultyScreenThread(): Worker {
  if (!built) throw new Error("build first: npm run build");
  dir = mkdtempSync(join(tmpdir(), "ccmux-fault-"));
  const script = join(dir, "faulty-screen-thread.mjs");
  writeFileSync(
    script,
    `import { PaneScreen } from ${JSON.stringify(resolve(DIST, "pane-screen.js"))};
const write = PaneScreen.prototype.write;
PaneScreen.prototype.write = function (chunk, done) {
  if (Buffer.from(chunk).includes("BOOM")) throw new Error("injected emulator fault");
  return write.call(this, chunk, done);
};
await import(${JSON.stringify(resolve(DIST, "screen-thread.js"))});
`,
  );
  return new Worker(script, { stderr: true });
}

describe("a screen that replaced a failed emulator", () => {
  it("counts the pane's output on, so a watcher's view keeps taking updates", async () => {
    worker = faultyScreenThread();
    const received: FromScreenThread[] = [];
    worker.on("message", (message: FromScreenThread) => received.push(message));
    const post = (message: unknown) => worker?.postMessage(message);
    const write = (text: string) => post({ op: "write", id: 1, chunk: new TextEncoder().encode(text) });
    const through = () =>
      received.flatMap((message) => (message.op === "frame" ? [message.echo.through] : [])).at(-1);
    post({ op: "init", busy: new Int32Array(new SharedArrayBuffer(4)), ring: new SharedArrayBuffer(1024) });
    post({ op: "create", id: 1, options: { cols: 40, rows: 5, scrollback: 100 } });
    post({ op: "watch", id: 1, watch: 1 });
    write("hello");
    post({ op: "want", id: 1, watch: 1, spaced: false });
    await eventually(() => through() === 5);
    post({ op: "want", id: 1, watch: 1, spaced: false });
    write("BOOM!");
    await eventually(() => received.some((message) => message.op === "lost"));
    // The empty screen's update counts the 10 bytes the pane printed, not 0.
    await eventually(() => received.filter((message) => message.op === "frame").length >= 2);
    expect(through()).toBe(10);
    post({ op: "want", id: 1, watch: 1, spaced: false });
    write("x");
    await eventually(() => through() === 11);
  });
});
