import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EmbeddedPaneHost } from "../../src/panes/embedded/embedded-pane-host.js";
import type { Pane } from "../../src/panes/embedded/pane.js";
import type { PaneInfo } from "../../src/panes/pane-host.js";

/** Live processes whose command line is `command` (not the shell that will run it). */
function processesWith(command: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
        const zombie = stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ").trim();
        return !zombie && cmdline === command;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The old count: members of the pane's session (what setsid leaves). */
function sessionCount(sessionId: number): number {
  let count = 0;
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z" && Number(fields[3]) === sessionId) count += 1;
    } catch {
      // gone
    }
  }
  return count;
}

async function until(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("setsid children escape maxProcesses (issue 9, item 8)", () => {
  let dir: string;
  let host: EmbeddedPaneHost;
  const limits: Array<{ pane: PaneInfo; processes: number; limit: number }> = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ccmux-processes-"));
    limits.length = 0;
  });
  afterEach(async () => {
    await host?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  function spawn(script: string): Pane {
    return host.startPane({
      name: "setsid",
      argv: ["bash", "-c", script],
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      cols: 80,
      rows: 10,
      scrollback: 10,
      owner: { kind: "agent", session: "test" },
      input: "none",
    });
  }

  it("12 setsid'd children under a limit of 8: the pane is killed with all of them and the limit reported", async () => {
    const marker = `${6000 + (process.pid % 1000)}1`;
    host = new EmbeddedPaneHost({ maxPanes: 2, maxExitedPanes: 2, maxProcesses: 8 });
    host.on("limit", (pane, processes, limit) => limits.push({ pane, processes, limit }));
    // A non-interactive shell's jobs are not group leaders, so setsid needs no fork: each stays bash's child.
    const pane = spawn(`for i in $(seq 12); do setsid sleep ${marker} & done; exec sleep ${marker}0`);
    await until(() => limits.length === 1);
    expect(limits[0]).toMatchObject({ pane: { id: pane.id, pid: pane.pid }, limit: 8 });
    expect(limits[0]?.processes).toBeGreaterThan(8);
    await until(
      () => processesWith(`sleep ${marker}`).length + processesWith(`sleep ${marker}0`).length === 0,
    );
  });

  it("kill_pane's sweep ends setsid'd children too, while they are under the limit", async () => {
    const marker = `${6000 + (process.pid % 1000)}2`;
    host = new EmbeddedPaneHost({ maxPanes: 2, maxExitedPanes: 2 });
    const pane = spawn(`for i in 1 2 3; do setsid sleep ${marker} & done; exec sleep ${marker}0`);
    await until(
      () => processesWith(`sleep ${marker}`).length === 3 && processesWith(`sleep ${marker}0`).length === 1,
    );
    expect(sessionCount(pane.pid)).toBe(1); // control: the old sweep (by session) would have left three
    await host.kill(pane.id);
    expect([...processesWith(`sleep ${marker}`), ...processesWith(`sleep ${marker}0`)]).toEqual([]);
  });
});
