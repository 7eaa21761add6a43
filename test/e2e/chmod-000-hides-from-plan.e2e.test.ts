import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BWRAP } from "../support/bwrap-path.js";
import {
  makeWorkspace,
  type Served,
  servedPerTest,
  serveWorkspace,
  type TestWorkspace,
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
      const mcp = await servedWithHides(served, ws, [
        join(root, "vault", "a", "tok*"),
        join(root, "keys", "id"),
      ]);
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
  const first = { pane: await bashPane(mcp) };
  const half = Object.entries(HALF_CLOSED)
    .map(([dir, mode]) => `chmod ${mode} ${dir}`)
    .join(" && ");
  const closed = await runInShell(mcp, first.pane, `chmod 000 ${CLOSED.join(" ")} && ${half}; echo chmod=$?`);
  expect(closed).toMatch(/chmod=0/);
  expect(existsSync(join(root, "keys"))).toBe(true);
  for (let i = 0; i < 2; i++) {
    const next = { pane: await bashPane(mcp, true) };
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

/**
 * The second review of that fix: the workspace root itself closed (`chmod 100 .`) left everything below
 * unprotected; a flood of files matching a hidden glob, of fresh repositories, or of closed directories took the
 * mount budget from the person's older repositories and from the pins above hidden paths.
 */
describe.skipIf(!BWRAP)("floods and a closed root, for the next pane's plan (needs bubblewrap)", () => {
  const served = servedPerTest();

  it("the root closed by a pane: the next pane sees it hidden whole: no write into a repository, no hidden file read, the host's mode unchanged", async () => {
    const ws = makeWorkspace({});
    const root = ws.root;
    mkdirSync(join(root, "toprepo", ".git", "hooks"), { recursive: true });
    writeFileSync(join(root, "prod.key"), "ROOT-KEY-42\n");
    const mcp = await servedWithHides(served, ws, [join(root, "*.key")]);
    try {
      const first = { pane: await bashPane(mcp) };
      expect(await runInShell(mcp, first.pane, "chmod 100 .; echo chmod=$?")).toMatch(/chmod=0/);
      const next = { pane: await bashPane(mcp, true) };
      const text = await runInShell(
        mcp,
        next.pane,
        [
          "chmod 755 .",
          "echo x > toprepo/.git/hooks/pre-commit; echo hook=$?",
          "cat prod.key; echo read=$?",
        ].join("; "),
      );
      // The root is hidden whole (an empty stand-in): its chmod changes the stand-in, not the host's root.
      expect(statSync(root).mode & 0o777).toBe(0o100);
      expect(text).toMatch(/hook=1/);
      expect(text).toMatch(/read=1/);
      expect(text).not.toContain("ROOT-KEY-42");
    } finally {
      chmodSync(root, 0o755);
    }
    expect(existsSync(join(root, "toprepo", ".git", "hooks", "pre-commit"))).toBe(false);
  });

  it("floods of hidden-glob files, fresh repositories and closed directories leave the older repositories and the pins protected", async () => {
    const ws = makeWorkspace({});
    const root = ws.root;
    // The person's: a repository deep down, a hidden directory, a secret deep down (its parents are pinned).
    for (const dir of ["l1/l2/l3/l4/l5/.git/hooks", "secrets", "a/b/c"])
      mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, "secrets", "token"), "TOKEN-42\n");
    writeFileSync(join(root, "a", "b", "c", "secret1"), "DEEP-SECRET-42\n");
    const mcp = await servedWithHides(served, ws, [
      join(root, "secrets", "*"),
      join(root, "a", "b", "c", "secret*"),
    ]);
    const closing: string[] = [];
    try {
      const first = { pane: await bashPane(mcp) };
      const flooded = await runInShell(
        mcp,
        first.pane,
        [
          "for i in $(seq 1 400); do : > secrets/f$i; done",
          "for i in $(seq 1 320); do mkdir -p r$i/.git; done",
          "mkdir new && (cd new && mkdir $(seq -f 'n%03g' 1 320) && chmod 000 n*)",
          "echo flooded=$?",
        ].join("; "),
      );
      expect(flooded).toMatch(/flooded=0/);
      for (let i = 1; i <= 320; i++) closing.push(join(root, "new", `n${String(i).padStart(3, "0")}`));
      const next = { pane: await bashPane(mcp) };
      const text = await runInShell(
        mcp,
        next.pane,
        [
          "echo x > l1/l2/l3/l4/l5/.git/hooks/pre-commit; echo deep=$?",
          "mkdir -p .git/hooks 2>/dev/null; echo x > .git/hooks/pre-commit; echo rootgit=$?",
          "mv a a2; echo mv=$?",
          "cat secrets/token a*/b/c/secret1; echo read=$?",
        ].join("; "),
      );
      expect(text).toMatch(/deep=1/);
      expect(text).toMatch(/mv=1/);
      // Hidden files read as empty stand-ins.
      expect(text).not.toContain("TOKEN-42");
      expect(text).not.toContain("DEEP-SECRET-42");
    } finally {
      for (const dir of closing) chmodSync(dir, 0o755);
    }
    expect(existsSync(join(root, "l1/l2/l3/l4/l5/.git/hooks/pre-commit"))).toBe(false);
  }, 120_000);
});

/** Serves `ws` with a bash pane command and `hide`, the server as the panes' uid (nobody under root). */
async function servedWithHides(
  served: ReturnType<typeof servedPerTest>,
  ws: TestWorkspace,
  hide: string[],
): Promise<Served> {
  const policy = JSON.parse(readFileSync(ws.policyPath, "utf8"));
  policy.commands = [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }];
  policy.sandbox = { mode: "required", hide };
  writeFileSync(ws.policyPath, JSON.stringify(policy));
  const mcp = await serveWorkspace(ws, {}, unprivilegedServer(ws));
  served.track(ws, mcp);
  return mcp;
}

/** A bash pane; `closedWarning`: its spawn must warn of a directory the server could not search. */
async function bashPane(mcp: Served, closedWarning = false): Promise<string> {
  const spawned = await mcp.ok<{ pane: string; warnings?: string[] }>("spawn", {
    command: "bash --norc --noprofile",
  });
  if (closedWarning)
    expect(JSON.stringify(spawned.warnings ?? [])).toMatch(/could not be searched by the server/);
  return spawned.pane;
}
