import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BWRAP } from "../support/bwrap-path.js";
import { giveToPanes, makeWorkspace, servedPerTest, serveWorkspace } from "../support/mcp-harness.js";
import { runInShell } from "../support/shell-pane.js";

/**
 * An attack review: a `sandbox.hide` path inside the workspace was covered by a mount on the path alone. A pane
 * renamed a directory above it (`mv data data2`; with home in the workspace, `mv .local .l2` moved the audit
 * log's directory): its own cover moved along, but the next pane's plan no longer matched the new name, and it
 * read the secret. The directories above a hidden path are now mount points, which cannot be renamed.
 */

describe.skipIf(!BWRAP)("a hidden path's parent directory renamed by a pane (needs bubblewrap)", () => {
  const served = servedPerTest();

  it("the rename fails, and no later pane reads the hidden file under any name", async () => {
    const ws = makeWorkspace({});
    const secretDir = join(ws.root, "data", "deep", "secret");
    mkdirSync(secretDir, { recursive: true });
    writeFileSync(join(secretDir, "x.txt"), "TOP-SECRET-42\n");
    giveToPanes(join(ws.root, "data"));
    const policy = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    policy.commands = [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }];
    policy.sandbox = { mode: "required", hide: [secretDir] };
    writeFileSync(ws.policyPath, JSON.stringify(policy));
    const mcp = await serveWorkspace(ws);
    served.track(ws, mcp);
    const first = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    const moved = await runInShell(
      mcp,
      first.pane,
      "mv data data2; echo mv1=$?; mv data/deep data/deep2; echo mv2=$?; rm -rf data 2>/dev/null; echo rm=$?",
    );
    expect(moved).toMatch(/mv1=1/);
    expect(moved).toMatch(/mv2=1/);
    expect(existsSync(join(secretDir, "x.txt"))).toBe(true);
    // Two more panes: one is served by the pane started ahead, the other built at its spawn.
    for (let i = 0; i < 2; i++) {
      const next = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
      const text = await runInShell(mcp, next.pane, "cat data*/deep*/secret/x.txt; echo read=$?");
      expect(text).toMatch(/read=1/);
      expect(text).not.toContain("TOP-SECRET-42");
    }
  });
});
