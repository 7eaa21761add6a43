import { readdirSync, readlinkSync } from "node:fs";
import type { ResourceLimits } from "node:worker_threads";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Pane } from "../../src/panes/embedded/pane.js";
import { agentPane } from "../support/agent-pane.js";
import { BUILT, screenThreadHost } from "../support/embedded-hosts.js";

type Host = import("../../src/panes/embedded/embedded-pane-host.js").EmbeddedPaneHost;

const workerHost = (resourceLimits?: ResourceLimits): Promise<Host> =>
  screenThreadHost({ maxPanes: 8, maxExitedPanes: 8 }, { resourceLimits });

/** `count` lines "L-<n>" (n from 0), printed by node in bursts of `burst` lines with a pause of `pauseMs` between. */
function numberedLines(count: number, burst: number, pauseMs: number): string[] {
  const script = `let i = 0; const next = () => { let s = ""; for (let j = 0; j < ${burst} && i < ${count}; j++) s += "L-" + i++ + "\\n"; process.stdout.write(s, () => { if (i < ${count}) setTimeout(next, ${pauseMs}); }); }; next();`;
  return [process.execPath, "-e", script];
}

/** This process's open descriptors that are pty masters. */
function ptyMasters(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      // /dev/ptmx, or /dev/pts/ptmx where /dev/pts is a private instance (a bubblewrap sandbox: the nested run)
      return /^\/dev\/(pts\/)?ptmx$/.test(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false; // closed while listed
    }
  }).length;
}

describe.skipIf(!BUILT)("the screen thread reads its panes' ptys (needs `npm run build`)", () => {
  let host: Host | undefined;
  // The worker is unref'd (the server's stdio keeps it alive); here a timer does.
  const keepAlive = setInterval(() => {}, 1000);
  afterEach(async () => {
    await host?.shutdown();
    host = undefined;
  });
  afterAll(() => clearInterval(keepAlive));

  it("a person attaching mid-flood takes the reading back: no line is lost or comes out of order", async () => {
    host = await workerHost();
    const count = 60_000;
    const pane = host.startPane(agentPane(numberedLines(count, 200, 5), { scrollback: count + 10 }));
    expect(pane.readsOnScreenThread).toBe(true);
    await expect
      .poll(async () => (await pane.snapshot()).text.includes("L-"), { timeout: 10_000 })
      .toBe(true);
    // As `ccmux attach` does: the reading comes back here (echoes are drawn from what this thread reads).
    const watch = host.watchFrames(pane.id, () => {});
    watch.want();
    await expect.poll(() => pane.readsOnScreenThread, { timeout: 10_000 }).toBe(false);
    // The handover happened while lines were still coming (else this test proves nothing about it).
    expect(pane.alive).toBe(true);
    await pane.exited();
    watch.close();
    const lines = (await pane.scrollbackText()).split("\n");
    expect(lines.at(-1)).toBe(`L-${count - 1}`);
    const wrong = lines.findIndex((line, i) => line !== `L-${i}`);
    expect(wrong === -1 ? "every line" : `line ${wrong}: ${lines[wrong]}`).toBe("every line");
    expect(lines).toHaveLength(count);
  }, 60_000);

  it("a since-mark counts the echo of keys typed right after it, while another pane floods this thread", async () => {
    // Issue 16's read-through: the thread reads the pty itself, and output it read while a mark's request was on its
    // way counted as printed before the mark (send_keys awaited the mark before typing to avoid it; wait_for
    // `since: "now"` could miss output). The mark is now fixed when it is asked for (since-boundaries.ts).
    host = await workerHost();
    // The pane itself prints too (25 lines a millisecond): its reader is often mid-read as a mark comes. Slowly
    // enough that its history (200 000 rows, 8 s of it) still holds the echo when a slow machine checks.
    const flood = host.startPane(agentPane(["/usr/bin/yes", "flood"]));
    const trickle = `setInterval(() => process.stdout.write("y\\n".repeat(25)), 1)`;
    const pane = host.startPane(agentPane([process.execPath, "-e", trickle], { scrollback: 200_000 }));
    expect(pane.readsOnScreenThread).toBe(true);
    const missed: string[] = [];
    for (let run = 0; run < 60; run++) {
      const mark = host.markSince(pane.id);
      // Typed at once: the terminal echoes it before the mark's request reaches the screen thread.
      pane.write(`k${run}.`);
      const waited = await host.wait(pane.id, {
        query: { text: `k${run}.` },
        sinceMark: mark,
        excerpt: true,
        timeoutMs: 5_000,
        screenBy: Date.now() + 10_000,
      });
      if (waited.outcome !== "matched") missed.push(`${run}: ${waited.outcome}`);
    }
    expect(flood.alive).toBe(true);
    expect(missed).toEqual([]);
  }, 120_000);

  it("output a background process prints after the program exits is read until it stays idle", async () => {
    host = await workerHost();
    // The shell exits at once; its background job (ignoring the SIGHUP the shell's end sends its group) holds
    // the pty, waits until the shell is reaped (after the exit), prints two lines, and sleeps on.
    const job = "while kill -0 $$ 2>/dev/null; do sleep 0.01; done; echo tick1; echo tick2; exec sleep 30";
    const pane = host.startPane(agentPane(["/bin/sh", "-c", `trap "" HUP; echo before; (${job}) & exit 0`]));
    const started = Date.now();
    await pane.exited();
    // Not held by the job's 30 s sleep: reading ends once output is idle (500 ms) after the exit.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await pane.snapshot()).text).toBe("before\ntick1\ntick2");
  }, 30_000);

  it("short-lived programs: every byte is on the screen when the exit is reported, 20 runs", async () => {
    host = await workerHost();
    for (let run = 0; run < 20; run++) {
      const pane = host.startPane(agentPane(["/usr/bin/printf", `run-${run}\\nend`]));
      await pane.exited();
      expect((await pane.snapshot()).text).toBe(`run-${run}\nend`);
      await host.kill(pane.id);
    }
  }, 60_000);

  it("panes read on the screen thread leave no pty descriptor behind, exited or killed", async () => {
    host = await workerHost();
    const before = ptyMasters();
    const panes: Pane[] = [];
    for (let i = 0; i < 3; i++) panes.push(host.startPane(agentPane(["/bin/echo", `done-${i}`])));
    for (let i = 0; i < 3; i++) panes.push(host.startPane(agentPane(["/bin/sleep", "100"])));
    expect(panes.every((pane) => pane.readsOnScreenThread)).toBe(true);
    // Each pane holds two while it runs: node-pty's master and the screen thread's duplicate.
    expect(ptyMasters()).toBe(before + 12);
    for (const pane of panes.slice(0, 3)) await pane.exited();
    for (const pane of panes) await host.kill(pane.id);
    await expect.poll(ptyMasters, { timeout: 10_000 }).toBe(before);
  }, 30_000);

  // Security: the screen thread's duplicate of a pane's pty master must never reach another pane's process,
  // which could then read that pane's output or type into it (pane escape, seed §6.1).
  it("a pane started after another's pty went to the screen thread holds no pty master", async () => {
    host = await workerHost();
    const first = host.startPane(agentPane(["/bin/cat"]));
    expect(first.readsOnScreenThread).toBe(true);
    const probe = host.startPane(
      agentPane(["/bin/sh", "-c", 'for fd in /proc/self/fd/*; do readlink "$fd"; done; echo listed']),
    );
    await probe.exited();
    const text = (await probe.scrollbackText()).split("\n");
    expect(text).toContain("listed");
    expect(text.filter((line) => line.includes("ptmx"))).toEqual([]);
  }, 30_000);

  it("the screen thread's death hands each pane's reading back: later output reaches the new screen", async () => {
    // A real out-of-memory, as screen-thread-restart.test.ts makes one: a heap far below one pane's history.
    host = await workerHost({ maxOldGenerationSizeMb: 24 });
    const before = ptyMasters();
    const quiet = host.startPane(agentPane(["/bin/cat"]));
    const hogScript = `const row = () => Array.from({ length: 200 }, () => String.fromCharCode(0x4e00 + Math.floor(Math.random() * 20000))).join(""); const chunk = () => Array.from({ length: 1000 }, row).join("\\n") + "\\n"; const go = () => process.stdout.write(chunk(), go); go();`;
    const hog = host.startPane(
      agentPane([process.execPath, "-e", hogScript], { cols: 400, rows: 50, scrollback: 1_000_000 }),
    );
    expect(quiet.readsOnScreenThread && hog.readsOnScreenThread).toBe(true);
    await expect.poll(() => quiet.screenLostNote, { timeout: 30_000 }).toMatch(/screen thread/);
    await expect.poll(() => quiet.readsOnScreenThread, { timeout: 10_000 }).toBe(false);
    await host.kill(hog.id);
    quiet.write("after-restart\r");
    await expect
      .poll(async () => (await quiet.snapshot()).text, { timeout: 10_000 })
      .toContain("after-restart\nafter-restart");
    // The dead thread's duplicates were closed with it; the rest go with the panes.
    await host.kill(quiet.id);
    await expect.poll(ptyMasters, { timeout: 10_000 }).toBe(before);
  }, 60_000);
});
