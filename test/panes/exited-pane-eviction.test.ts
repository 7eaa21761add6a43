import { afterEach, describe, expect, it } from "vitest";
import { EmbeddedPaneHost } from "../../src/panes/embedded/embedded-pane-host.js";
import type { Pane } from "../../src/panes/embedded/pane.js";

const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TERM: "xterm-256color" };

function spawnIn(host: EmbeddedPaneHost, argv: string[], session = "test"): Pane {
  return host.startPane({
    name: "t",
    argv,
    cwd: process.cwd(),
    env: ENV,
    cols: 80,
    rows: 24,
    scrollback: 1000,
    owner: { kind: "agent", session },
    input: "raw",
  });
}

// Issue 11, a failure on a CI run: a transcript's shell, spawned early and left with `exit` an hour later,
// answered PANE_NOT_FOUND to the wait for its exit. Eviction took exited panes in spawn order, so a long-lived
// pane was the "oldest" the moment it exited and went at once, before its exit status could be read.
describe("exited panes are evicted longest-exited first", () => {
  let host: EmbeddedPaneHost;
  afterEach(async () => {
    await host?.shutdown();
  });

  it("a pane spawned first and exiting last stays readable; the earliest exited one goes", async () => {
    host = new EmbeddedPaneHost({ maxPanes: 8, maxExitedPanes: 2 });
    // cat with SIGHUP ignored: twice in CI's nested run (the suite in a sandboxed pane, 32 768 pids shared by
    // every suite's processes) a plain cat here died of signal 1 before its EOF, from outside this process (no code
    // of this host sends it one). What this test is about is the order of eviction; an EOF still ends this cat with
    // status 0, and a status read wrongly (node-pty reports an unset one when its waitpid finds no child) still
    // fails the assertion below.
    const longLived = spawnIn(host, ["/bin/sh", "-c", "trap '' HUP; exec /bin/cat"]);
    const quick: Pane[] = [];
    for (let index = 0; index < 2; index++) {
      const pane = spawnIn(host, ["/bin/true"]);
      await pane.exited();
      quick.push(pane);
    }
    expect(host.pane(quick[0]?.id ?? "")).toBeDefined();
    longLived.write("\x04"); // EOF: cat exits
    expect(await longLived.exited(), "cat's exit (a signal here came from outside the test)").toEqual({
      exitCode: 0,
      signal: null,
    });
    // The exit handler evicts in the same turn as the exit; let it run.
    await new Promise((resolve) => setImmediate(resolve));
    expect(host.pane(longLived.id), "the pane that just exited").toBeDefined();
    expect(host.pane(quick[0]?.id ?? ""), "the pane that exited first").toBeUndefined();
    expect(host.pane(quick[1]?.id ?? "")).toBeDefined();
  });

  it("one session's exited panes never evict another session's (the limit counts per owner)", async () => {
    host = new EmbeddedPaneHost({ maxPanes: 8, maxExitedPanes: 2 });
    const victim = spawnIn(host, ["/bin/true"], "victim");
    await victim.exited();
    const hog: Pane[] = [];
    for (let index = 0; index < 4; index++) {
      const pane = spawnIn(host, ["/bin/true"], "hog");
      await pane.exited();
      hog.push(pane);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(host.pane(victim.id), "the victim session's only exited pane").toBeDefined();
    // The hog keeps its own two most recently exited.
    expect(hog.map((pane) => host.pane(pane.id) !== undefined)).toEqual([false, false, true, true]);
  });
});
