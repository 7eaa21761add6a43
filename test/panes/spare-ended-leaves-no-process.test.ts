import { closeSync, readdirSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { addon } from "../../src/native/addon.js";
import { PaneProcesses } from "../../src/panes/pane-processes.js";
import { readStat } from "../../src/panes/process-session.js";
import { SpareLauncher, type SpareRecipe } from "../../src/panes/spare-launch.js";

/**
 * A sandboxed spare's process is bubblewrap, and while it builds the sandbox its inner process (pid 1 of the new
 * pid namespace) waits on an eventfd for the outer one's go-ahead, with no parent-death signal set yet. A spare
 * ended in that moment (a server exiting right after it made one) left the inner process waiting forever, outside
 * every pane: CI found one. That moment is too short to hit on purpose, so the spare here runs a real process of the
 * same shape: a shell whose child, in its process group and deaf to the hangup (bwrap blocks every signal it can),
 * outlives a SIGKILL of the shell.
 */
const launchers: SpareLauncher[] = [];
afterEach(() => {
  for (const launcher of launchers.splice(0)) launcher.dispose();
});

/** A spare recipe whose process leaves a child in its group (as bwrap's outer process leaves its inner one). */
function forkingSpare(): SpareRecipe {
  return spareRunning(["/bin/sh", "-c", 'trap "" HUP; sleep 600 & wait']);
}

/** A spare recipe whose process runs `argv`. */
function spareRunning(argv: string[]): SpareRecipe {
  return {
    available: () => true,
    start: () => {
      const [requestRead, requestWrite] = addon.makePipe(false);
      closeSync(requestRead);
      return {
        argv,
        passFds: [],
        requestFd: requestWrite,
        exitStatus: undefined,
        release: () => {},
        fits: () => ({ warnings: [] }),
        dispose: () => {},
      };
    },
  };
}

/** The live (not zombie) pids whose process group is `group`. */
function groupMembers(group: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    const entry = Number.isInteger(pid) ? readStat(pid) : undefined;
    if (entry?.pgrp === group && !entry.zombie) members.push(pid);
  }
  return members;
}

describe("a spare ended before a spawn took it", () => {
  it("a spare ended while its process has a child in its group (bubblewrap's inner process) leaves no process behind", async () => {
    const launcher = new SpareLauncher(forkingSpare(), new PaneProcesses(), undefined, 1);
    launchers.push(launcher);
    launcher.fill(0);
    const spares = (launcher as unknown as { spares: Array<{ process: { pid: number } }> }).spares;
    await expect.poll(() => spares.length, { timeout: 10_000 }).toBe(1);
    const group = spares[0]?.process.pid as number;
    // The shell and its sleep, both in the spare's group.
    await expect.poll(() => groupMembers(group).length, { timeout: 10_000 }).toBe(2);
    launcher.dispose();
    await expect.poll(() => groupMembers(group), { timeout: 10_000 }).toEqual([]);
  });

  // CI: a test's `cat` died of a signal no one there sent. A spare that ended on its own (bwrap could not build the
  // sandbox) was discarded with a SIGKILL to its pid, already reaped and free for the kernel to give away: with
  // pid_max 32768 a suite wraps pids, and a server running as root killed whatever held it next.
  it("a spare that exited on its own is not signalled after its reap (its pid may be someone else's now)", async () => {
    const kill = vi.spyOn(process, "kill");
    try {
      const launcher = new SpareLauncher(spareRunning(["/bin/true"]), new PaneProcesses(), undefined, 1);
      launchers.push(launcher);
      const spares = (launcher as unknown as { spares: Array<{ process: { pid: number } }> }).spares;
      const seen = new Set<number>();
      launcher.fill(0);
      // Each spare exits at once; the launcher discards it and starts another after its back-off.
      await expect
        .poll(
          () => {
            for (const spare of spares) seen.add(spare.process.pid);
            return seen.size;
          },
          { timeout: 20_000, interval: 1 },
        )
        .toBeGreaterThanOrEqual(2);
      launcher.dispose();
      const reaped = [...seen].slice(0, -1); // the last may still have been running at dispose
      const signalled = kill.mock.calls.map(([pid]) => Math.abs(Number(pid)));
      expect(signalled.filter((pid) => reaped.includes(pid))).toEqual([]);
    } finally {
      kill.mockRestore();
    }
  });
});
