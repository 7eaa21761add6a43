import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Pane } from "../../src/panes/embedded/pane.js";

// The screen thread reads the ptys of the panes it parses (ScreenPort.readPty). It runs compiled JavaScript, so
// this suite drives the build (npm test builds first).
const DIST = resolve(import.meta.dirname, "../../dist/panes");
const built = existsSync(resolve(DIST, "screen-thread.js"));
const BURST = resolve(import.meta.dirname, "../fixtures/burst-then-exit.mjs");
const FLOOD = resolve(import.meta.dirname, "../fixtures/flood-progress.mjs");
const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TERM: "xterm-256color" };
/** write(2)'s number, for telling from /proc that a process is blocked writing (x86-64, arm64). */
const WRITE_SYSCALL = process.arch === "x64" ? "1" : process.arch === "arm64" ? "64" : undefined;

type Host = import("../../src/panes/embedded/embedded-pane-host.js").EmbeddedPaneHost;
type Screens = import("../../src/panes/worker-screens.js").WorkerScreens;

async function makeHost(options: { spares?: boolean } = {}): Promise<{ host: Host; screens: Screens }> {
  const { EmbeddedPaneHost } = (await import(
    resolve(DIST, "embedded/embedded-pane-host.js")
  )) as typeof import("../../src/panes/embedded/embedded-pane-host.js");
  const { WorkerScreens } = (await import(
    resolve(DIST, "worker-screens.js")
  )) as typeof import("../../src/panes/worker-screens.js");
  const screens = new WorkerScreens();
  return {
    host: new EmbeddedPaneHost({ maxPanes: 4, maxExitedPanes: 4 }, screens, undefined, options),
    screens,
  };
}

function spawnIn(host: Host, argv: string[], scrollback = 20_000, size = { cols: 100, rows: 30 }): Pane {
  return host.startPane({
    name: "t",
    argv,
    cwd: process.cwd(),
    env: ENV,
    ...size,
    scrollback,
    owner: { kind: "agent", session: "test" },
    input: "raw",
  });
}

/** Ends the screen thread as a fatal fault would (WorkerScreens restarts it). */
function killScreenThread(screens: Screens): Promise<number> {
  return (screens as unknown as { worker: import("node:worker_threads").Worker }).worker.terminate();
}

/** This process's descriptors of pty masters (node-pty's, and the screen thread's copies). */
const ptyMasters = (): number =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      // Inside a pane's sandbox the multiplexer is its own devpts instance's.
      return ["/dev/ptmx", "/dev/pts/ptmx"].includes(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false; // closed meanwhile (readdir's own descriptor)
    }
  }).length;

describe.skipIf(!built)("the screen thread reads pane ptys (needs `npm run build`)", () => {
  let host: Host | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await host?.shutdown();
    host = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("loses no output: 1 MB printed right before exit has its final line readable, 20 runs", async () => {
    ({ host } = await makeHost());
    for (let run = 0; run < 20; run++) {
      const pane = spawnIn(host, [process.execPath, BURST]);
      expect((await pane.exited()).exitCode).toBe(0);
      expect(await pane.scrollbackText(2), `run ${run}`).toContain("FINAL-LINE-MARKER");
      const lines = (await pane.scrollbackText()).split("\n");
      expect(lines.filter((line) => line === "x".repeat(99))).toHaveLength(10_000);
      await host.kill(pane.id);
    }
  }, 120_000);

  it("every byte arrives once and in order (no second reader takes a share)", async () => {
    ({ host } = await makeHost());
    const pane = spawnIn(host, ["/usr/bin/seq", "1", "200000"], 210_000);
    await pane.exited();
    const lines = (await pane.scrollbackText()).split("\n").filter((line) => line !== "");
    expect(lines).toHaveLength(200_000);
    expect(lines.every((line, i) => line === String(i + 1))).toBe(true);
  }, 60_000);

  it("a pane started ahead (a spare) is read by the screen thread from its spawn: the program's first bytes, every byte in order, and the last line before exit", async () => {
    ({ host } = await makeHost({ spares: true }));
    const spares = host as unknown as { plainSpare: { spare: unknown } };
    // The first unsandboxed spawn starts afresh and has the next one made ahead.
    await spawnIn(host, ["/bin/true"]).exited();
    await expect.poll(() => spares.plainSpare.spare !== undefined, { timeout: 10_000 }).toBe(true);
    const pane = spawnIn(host, ["/usr/bin/seq", "1", "200000"], 210_000);
    expect(spares.plainSpare.spare, "the spawn took the spare").toBeUndefined();
    expect((pane as unknown as { readsElsewhere: boolean }).readsElsewhere, "read on the screen thread").toBe(
      true,
    );
    await pane.exited();
    const lines = (await pane.scrollbackText()).split("\n").filter((line) => line !== "");
    expect(lines).toHaveLength(200_000);
    expect(lines.every((line, i) => line === String(i + 1))).toBe(true);
    await expect.poll(() => spares.plainSpare.spare !== undefined, { timeout: 10_000 }).toBe(true);
    const burst = spawnIn(host, [process.execPath, BURST]);
    expect(spares.plainSpare.spare).toBeUndefined();
    expect((await burst.exited()).exitCode).toBe(0);
    expect(await burst.scrollbackText(2)).toContain("FINAL-LINE-MARKER");
  }, 60_000);

  it.skipIf(WRITE_SYSCALL === undefined)(
    "a flood faster than the emulator blocks the program in write(2) once the backlog passes the high-water mark",
    async () => {
      ({ host } = await makeHost());
      dir = mkdtempSync(join(tmpdir(), "ccmux-flood-"));
      const progress = join(dir, "progress");
      writeFileSync(progress, "0");
      // 32 MB of ESC c, each of which rebuilds a 500×200 screen: read in seconds, parsed in hours. Unchecked, the
      // reader would take it all.
      const pane = spawnIn(host, [process.execPath, FLOOD, progress, "32"], 100, { cols: 500, rows: 200 });
      const blocked = (): boolean => {
        const call = readFileSync(`/proc/${pane.pid}/syscall`, "utf8").split(" ");
        return call[0] === WRITE_SYSCALL && call[1] === "0x1";
      };
      await expect.poll(blocked, { timeout: 20_000 }).toBe(true);
      // Rounds of the screen thread's loop, each of which would read the flood again were it not paused: a
      // neighbour's echo, 30 times.
      const echo = spawnIn(host, ["/usr/bin/cat"]);
      for (let round = 0; round < 30; round++) {
        echo.write(`round-${round}\r`);
        await expect
          .poll(async () => (await echo.snapshot()).text, { timeout: 20_000 })
          .toContain(`round-${round}`);
      }
      const written = readFileSync(progress, "utf8");
      expect(written).not.toBe("done");
      // The high-water mark (512 KB), what the kernel buffers, the read in flight and one 64 KB write.
      expect(Number(written)).toBeLessThan(2 * 1024 * 1024);
      expect(blocked()).toBe(true);
      expect(pane.alive).toBe(true);
    },
    60_000,
  );

  it("a restarted screen thread reads on: what a pane prints afterwards shows, and no pty descriptor is left behind", async () => {
    let screens: Screens;
    ({ host, screens } = await makeHost());
    const before = ptyMasters();
    const pane = spawnIn(host, ["/usr/bin/cat"]);
    expect(ptyMasters()).toBe(before + 2); // node-pty's and the screen thread's copy
    pane.write("before-restart\r");
    await expect
      .poll(async () => (await pane.snapshot()).text, { timeout: 10_000 })
      .toContain("before-restart");
    await killScreenThread(screens);
    await expect.poll(() => pane.screenLostNote, { timeout: 10_000 }).toMatch(/restarted/);
    pane.write("after-restart\r");
    await expect
      .poll(async () => (await pane.snapshot()).text, { timeout: 10_000 })
      .toContain("after-restart");
    await host.kill(pane.id, "SIGKILL");
    await expect.poll(ptyMasters, { timeout: 10_000 }).toBeLessThanOrEqual(before);
  }, 60_000);

  it("a screen thread that fails for good leaves the reading to the pane: its program still runs to its end", async () => {
    let screens: Screens;
    ({ host, screens } = await makeHost());
    dir = mkdtempSync(join(tmpdir(), "ccmux-flood-"));
    const progress = join(dir, "progress");
    writeFileSync(progress, "0");
    // bash waits for a line, then floods 4 MB (more than every buffer on the way holds) and exits.
    const pane = spawnIn(host, ["/usr/bin/bash", "--norc", "--noprofile"]);
    // More deaths than WorkerScreens restarts within a minute: it gives up.
    for (let death = 0; death < 6; death++) {
      await killScreenThread(screens);
      await expect.poll(() => pane.screenLostNote, { timeout: 10_000 }).toBeDefined();
    }
    await expect.poll(() => pane.screenLostNote, { timeout: 10_000 }).toMatch(/kept failing/);
    pane.write(`exec ${process.execPath} ${FLOOD} ${progress} 4 x\r`);
    const exit = await pane.exited();
    expect(exit.exitCode).toBe(0);
    expect(readFileSync(progress, "utf8")).toBe("done");
  }, 60_000);
});
