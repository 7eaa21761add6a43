import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BWRAP } from "../support/bwrap-path.js";
import { giveToPanes, makeWorkspace, servedPerTest, serveWorkspace } from "../support/mcp-harness.js";
import { runInShell } from "../support/shell-pane.js";

/**
 * An attack review: `.hg/` and `.jj/` were read-only only at a workspace root. Below it, a Mercurial or Jujutsu
 * repository's directory — even one beside a protected `.git` — was writable, and a pane planted an hgrc hook
 * that runs at the person's next `hg status` there. Nested ones are read-only now, as nested `.git`s are. The
 * same kind, tried after: Sapling's `.sl/`, Darcs's `_darcs/` (prefs/defaults: posthook commands) and Pijul's
 * `.pijul/` (config: [hooks]), at a root and nested.
 */
const DEEPEST = "a/b/c/d/e/f";

describe.skipIf(!BWRAP)("nested .hg and .jj directories (needs bubblewrap)", () => {
  const served = servedPerTest();

  it("are read-only in a pane: Mercurial's, Jujutsu's, one beside a .git, and one at the deepest searched level", async () => {
    const ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "required" },
    });
    const root = ws.root;
    for (const dir of [
      "hgrepo/.hg",
      "jjrepo/.jj/repo",
      "slrepo/.sl",
      "darcsrepo/_darcs/prefs",
      "_darcs/prefs",
      "pijulrepo/.pijul",
      "col/.git/hooks",
      "col/.jj/repo",
      `${DEEPEST}/.hg`,
    ])
      mkdirSync(join(root, dir), { recursive: true });
    giveToPanes(
      ...["hgrepo", "jjrepo", "slrepo", "darcsrepo", "_darcs", "pijulrepo", "col", "a"].map((dir) =>
        join(root, dir),
      ),
    );
    const mcp = await serveWorkspace(ws);
    served.track(ws, mcp);
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    const text = await runInShell(
      mcp,
      pane,
      [
        `printf '[hooks]\\npre-status = touch /tmp/ran\\n' > hgrepo/.hg/hgrc; echo hg=$?`,
        "touch jjrepo/.jj/repo/config.toml; echo jj=$?",
        "touch col/.jj/planted; echo col=$?",
        "touch slrepo/.sl/config; echo sl=$?",
        "echo 'ALL posthook touch /tmp/ran' > darcsrepo/_darcs/prefs/defaults; echo darcs=$?",
        "touch _darcs/prefs/defaults; echo darcsroot=$?",
        "printf '[hooks]\\nrecord = []\\n' > pijulrepo/.pijul/config; echo pijul=$?",
        `touch ${DEEPEST}/.hg/hgrc; echo deep=$?`,
        "mkdir -p plain/.hgx && touch plain/.hgx/ok; echo control=$?",
      ].join("; "),
    );
    expect(text).toMatch(/hg=1/);
    expect(text).toMatch(/jj=1/);
    expect(text).toMatch(/col=1/);
    expect(text).toMatch(/sl=1/);
    expect(text).toMatch(/darcs=1/);
    expect(text).toMatch(/darcsroot=1/);
    expect(text).toMatch(/pijul=1/);
    expect(text).toMatch(/deep=1/);
    expect(text).toMatch(/control=0/);
    for (const planted of [
      "hgrepo/.hg/hgrc",
      "jjrepo/.jj/repo/config.toml",
      "col/.jj/planted",
      "slrepo/.sl/config",
      "darcsrepo/_darcs/prefs/defaults",
      "_darcs/prefs/defaults",
      "pijulrepo/.pijul/config",
      `${DEEPEST}/.hg/hgrc`,
    ])
      expect(existsSync(join(root, planted)), planted).toBe(false);
  });
});
