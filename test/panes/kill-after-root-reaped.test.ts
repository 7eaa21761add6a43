import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EmbeddedPaneHost } from "../../src/panes/embedded/embedded-pane-host.js";
import { readStat } from "../../src/panes/process-session.js";

/**
 * An attack review (high): a pane's shell started a detached writer that kept printing to the pane's terminal, then
 * exited. node-pty reaped the shell at once but reports an exit only once the terminal's output has drained, so the
 * pane stayed "alive" with its first process's pid free. The reviewer cycled the kernel's pids until a person's new
 * process, a group leader, had that pid; kill_pane then sent SIGTERM and SIGKILL to that process group. Here the
 * pid is not reused (that takes 32 000 forks); what is checked is that nothing is sent to it at all.
 */
const MARKER = `writer-${process.pid}`;
const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TERM: "xterm-256color" };

let host: EmbeddedPaneHost | undefined;
afterEach(async () => {
  await host?.shutdown();
  host = undefined;
  // The writer left the pane's session; it ends itself within 20 s, and here at once.
  for (const pid of writers()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

/** Live writers of this test (their command line holds MARKER). */
function writers(): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (line.includes(MARKER) && readStat(pid)?.zombie === false) found.push(pid);
    } catch {
      // gone
    }
  }
  return found;
}

describe("kill_pane after the pane's first process was reaped, its exit not yet reported", () => {
  it("sends nothing to the first process's pid or group, which may be anyone's by now", async () => {
    host = new EmbeddedPaneHost({ maxPanes: 4, maxExitedPanes: 4 });
    // The writer ignores the hang-up its session leader's exit sends before it has left that session. The shell
    // outlives a clock tick, so a process that reuses its pid has another start time (the pid and start time name it).
    const script = `trap '' HUP; setsid sh -c 'for i in $(seq 400); do echo .; sleep 0.05; done; : ${MARKER}' & sleep 0.05; exit 0`;
    const pane = host.startPane({
      name: "t",
      argv: ["/bin/sh", "-c", script],
      cwd: process.cwd(),
      env: ENV,
      cols: 80,
      rows: 24,
      scrollback: 100,
      owner: { kind: "agent", session: "test" },
      input: "raw",
    });
    const root = pane.pid;
    const start = readStat(root)?.start;
    // Reaped (gone, or someone else's now) while the writer keeps the pane's output flowing.
    await expect.poll(() => readStat(root)?.start !== start, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => writers().length, { timeout: 10_000 }).toBe(1);
    expect(pane.alive, "the exit is not reported while output flows").toBe(true);
    const kill = vi.spyOn(process, "kill");
    try {
      await pane.kill("SIGTERM", 300);
      const targets = kill.mock.calls.map(([pid]) => Number(pid));
      expect(targets.filter((pid) => Math.abs(pid) === root)).toEqual([]);
    } finally {
      kill.mockRestore();
    }
  });
});
