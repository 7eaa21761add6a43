import { afterEach, describe, expect, it } from "vitest";
import { BWRAP } from "../support/bwrap-path.js";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";
import { runInShell } from "../support/shell-pane.js";

/**
 * The sandbox's plan reads the config of every repository in the workspace (core.hooksPath), and a pane can make
 * repositories. A pane's `.git/config` made a FIFO blocked the server's thread in open(2) at the next spawn, for
 * good (every later call unanswered); one linked to /dev/zero would have been read without end. The plan reads
 * regular files only (plan-reads.ts, readRegularFile): both spawns are answered, and the server goes on.
 */
const POLICY = {
  commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
  sandbox: { mode: "required" },
};

describe.skipIf(!BWRAP)("a repository config that is not a regular file (needs bubblewrap)", () => {
  let ws: TestWorkspace | undefined;
  let mcp: Served | undefined;
  afterEach(async () => {
    await mcp?.close();
    ws?.cleanup();
    mcp = undefined;
    ws = undefined;
  });

  it("a FIFO or a /dev/zero link planted as .git/config does not stop the next spawns", async () => {
    ws = makeWorkspace(POLICY);
    mcp = await serveWorkspace(ws);
    const first = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    const made = await runInShell(
      mcp,
      first.pane,
      "mkdir -p fifo/.git zero/.git && mkfifo fifo/.git/config && ln -s /dev/zero zero/.git/config; echo planted=$?",
    );
    expect(made).toMatch(/planted=0/);
    // Spares are made again from a new plan, and a spawn without one plans itself: both read the configs.
    for (let i = 0; i < 3; i++) {
      // A blocked server answers nothing: the client's request timeout (60 s) fails the test.
      const next = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
      expect(await runInShell(mcp, next.pane, "echo alive=$((40+2))")).toContain("alive=42");
      await mcp.ok("kill_pane", { pane: next.pane, signal: "SIGKILL" });
    }
    const listed = await mcp.ok<{ panes: unknown[] }>("list_panes", {});
    expect(listed.panes.length).toBeGreaterThan(0);
  });
});
