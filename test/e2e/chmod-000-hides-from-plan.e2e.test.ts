import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BWRAP } from "../support/bwrap-path.js";
import {
  makeWorkspace,
  type Served,
  servedPerTest,
  serveWorkspace,
  unprivilegedServer,
} from "../support/mcp-harness.js";
import { runInShell } from "../support/shell-pane.js";

/**
 * An attack review, under a server of the panes' own uid (what the README recommends): a pane ran `chmod 000`
 * on directories holding repositories and hidden files. The next pane's plan, made by the server, could not
 * look inside them, so it protected nothing there: that pane ran `chmod 755` and planted a git hook (run at the
 * person's next commit, outside the sandbox), an hgrc and a Darcs posthook, and could have read hidden files. A
 * directory the server cannot search is now read-only whole in the next pane: its mode cannot be changed back,
 * and nothing inside can be read or written. Under root the server runs as nobody, so the panes are its uid.
 */
const CLOSED = ["proj", "vcs", "vault/a", "keys"];
/** Half closed: listed but not searched (r--), and searched but not listed (--x). */
const HALF_CLOSED = { "r4/": "400", "x1/": "100" };

describe.skipIf(!BWRAP)(
  "directories made unreadable by a pane, for the next pane's plan (needs bubblewrap)",
  () => {
    const served = servedPerTest();

    it("stay closed to the next panes: no mode change, no write into their repositories, no hidden file read", async () => {
      const ws = makeWorkspace({});
      const root = ws.root;
      for (const dir of [
        "proj/.git/hooks",
        "proj/sub/.hg",
        "vcs/d/_darcs/prefs",
        "vault/a",
        "keys",
        "r4/.git/hooks",
        "x1/.git/hooks",
      ])
        mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, "vault", "a", "token"), "VAULT-TOKEN-42\n");
      writeFileSync(join(root, "keys", "id"), "KEY-SECRET-42\n");
      const policy = JSON.parse(readFileSync(ws.policyPath, "utf8"));
      policy.commands = [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }];
      policy.sandbox = {
        mode: "required",
        hide: [join(root, "vault", "a", "tok*"), join(root, "keys", "id")],
      };
      writeFileSync(ws.policyPath, JSON.stringify(policy));
      const mcp = await serveWorkspace(ws, {}, unprivilegedServer(ws));
      served.track(ws, mcp);
      try {
        await closeThenTry(mcp, root);
      } finally {
        // Opened again whatever happened, so that the suite's afterEach can remove the workspace.
        for (const dir of [...CLOSED, ...Object.keys(HALF_CLOSED)]) chmodSync(join(root, dir), 0o755);
      }
      for (const planted of [
        "proj/.git/hooks/pre-commit",
        "proj/sub/.hg/hgrc",
        "vcs/d/_darcs/prefs/defaults",
        "r4/.git/hooks/pre-commit",
        "x1/.git/hooks/pre-commit",
      ])
        expect(existsSync(join(root, planted)), planted).toBe(false);
    });
  },
);

/** A first pane closes the directories; two more panes (one served by the pane started ahead) try to reopen them. */
async function closeThenTry(mcp: Served, root: string): Promise<void> {
  const first = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
  const half = Object.entries(HALF_CLOSED)
    .map(([dir, mode]) => `chmod ${mode} ${dir}`)
    .join(" && ");
  const closed = await runInShell(mcp, first.pane, `chmod 000 ${CLOSED.join(" ")} && ${half}; echo chmod=$?`);
  expect(closed).toMatch(/chmod=0/);
  expect(existsSync(join(root, "keys"))).toBe(true);
  for (let i = 0; i < 2; i++) {
    const next = await mcp.ok<{ pane: string; warnings?: string[] }>("spawn", {
      command: "bash --norc --noprofile",
    });
    expect(JSON.stringify(next.warnings ?? [])).toMatch(/could not be searched by the server/);
    const text = await runInShell(
      mcp,
      next.pane,
      [
        `chmod 755 ${CLOSED.join(" ")}; echo reopen=$?`,
        `chmod 755 ${Object.keys(HALF_CLOSED).join(" ")}; echo reopenhalf=$?`,
        "echo x > r4/.git/hooks/pre-commit; echo r4=$?",
        "echo x > x1/.git/hooks/pre-commit; echo x1=$?",
        "echo 'touch /tmp/ran' > proj/.git/hooks/pre-commit; echo hook=$?",
        "echo '[hooks]' > proj/sub/.hg/hgrc; echo hg=$?",
        "echo 'ALL posthook id' > vcs/d/_darcs/prefs/defaults; echo darcs=$?",
        "cat vault/a/token keys/id; echo read=$?",
        "mv proj proj2; echo mv=$?",
      ].join("; "),
    );
    expect(text).toMatch(/reopen=1/);
    expect(text).toMatch(/reopenhalf=1/);
    expect(text).toMatch(/r4=1/);
    expect(text).toMatch(/x1=1/);
    expect(text).toMatch(/hook=1/);
    expect(text).toMatch(/hg=1/);
    expect(text).toMatch(/darcs=1/);
    expect(text).toMatch(/read=1/);
    expect(text).toMatch(/mv=1/);
    expect(text).not.toContain("VAULT-TOKEN-42");
    expect(text).not.toContain("KEY-SECRET-42");
  }
}
