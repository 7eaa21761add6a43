import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isDescendant } from "../../src/daemon/process-ancestry.js";

/**
 * The attack review's race: a pane process W forks X, X forks P; P connects to the daemon and X exits while the
 * daemon walks P's parents. The walk read P's parent (X), then found X gone and answered "not below the daemon":
 * the check refusing the daemon's own panes was bypassed in under a second. A chain that breaks is walked again
 * (P has been handed to the daemon, a child subreaper, by then), and one that stays broken counts as below.
 */
describe("the descendant check under a fork race", () => {
  it("a peer whose parent chain cannot be read (the process is gone) counts as below the daemon", () => {
    const gone = spawnSync("true").pid as number;
    expect(isDescendant(gone, process.pid)).toBe(true);
  });

  it("controls: this process is below its parent, its parent is not below it, and pid 1 is below nobody", () => {
    expect(isDescendant(process.pid, process.ppid)).toBe(true);
    expect(isDescendant(process.ppid, process.pid)).toBe(false);
    expect(isDescendant(1, process.pid)).toBe(false);
  });
});
