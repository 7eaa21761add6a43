import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI,
  giveToPanes,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * Issue 10 item 9: with the `ccmux init` policy, `git log` opened less; `q` and C-c are refused under
 * `input: none`, so only kill_pane ended it and the agent saw one page. Every command that policy allows,
 * with representative arguments, must run to completion in a git repository whose history and changes are
 * longer than a screen. Control: the same policy with env.set GIT_PAGER=less hangs on the first page.
 */

interface StarterRule {
  command: string;
  args?: string[];
}
interface StarterPolicy {
  commands: StarterRule[];
  [key: string]: unknown;
}

/** The policy exactly as `ccmux init` writes it. */
function starterPolicy(): StarterPolicy {
  const dir = mkdtempSync(join(tmpdir(), "ccmux-init-"));
  try {
    const run = spawnSync(process.execPath, [CLI, "init"], { cwd: dir, encoding: "utf8", timeout: 20_000 });
    if (run.status !== 0) throw new Error(`ccmux init failed: ${run.stderr}`);
    return JSON.parse(readFileSync(join(dir, "ccmux.json"), "utf8")) as StarterPolicy;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const COMMITS = 60;
const HEAD_LINES = 120;

/** Representative command lines for each rule shape of the starter, and text its last screen must show. */
const RUNS: ReadonlyArray<{ shape: string; command: string; shows: string }> = [
  { shape: "ls ", command: "ls", shows: "notes.txt" },
  { shape: "ls **", command: "ls -la src", shows: "module.js" },
  { shape: "cat {path}", command: "cat notes.txt", shows: "notes line 1" },
  { shape: "git status **", command: "git status", shows: "modified:" },
  { shape: "git status **", command: "git status --short", shows: "M history.txt" },
  { shape: "git diff **", command: "git diff", shows: `+work in progress ${HEAD_LINES}` },
  { shape: "git diff **", command: "git diff HEAD~5 --stat", shows: "changed" },
  { shape: "git log **", command: "git log", shows: "commit number 1\n" },
  { shape: "git log **", command: "git log -p", shows: "+history line 1\n" },
  { shape: "git log **", command: "git log --oneline --graph", shows: "commit number 1\n" },
  { shape: "git show **", command: "git show", shows: `+head line ${HEAD_LINES}` },
  { shape: "git show **", command: "git show HEAD~2 --stat", shows: "history.txt" },
  { shape: "echo **", command: "echo hello starter", shows: "hello starter" },
  { shape: "pwd ", command: "pwd", shows: "/ws" },
];

/** A repository with COMMITS commits, a last commit longer than a screen, and uncommitted changes as long. */
function makeRepository(root: string): void {
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "safe.directory=*", "-C", root, ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: root,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.invalid",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.invalid",
      },
      stdio: "ignore",
    });
  mkdirSync(join(root, "src"));
  writeFileSync(join(root, "src", "module.js"), "export {};\n");
  writeFileSync(join(root, "notes.txt"), "notes line 1\nnotes line 2\n");
  git("init", "-q", "-b", "main");
  let history = "";
  for (let i = 1; i <= COMMITS; i++) {
    history += `history line ${i}\n`;
    writeFileSync(join(root, "history.txt"), history);
    git("add", "-A");
    git("commit", "-q", "-m", `commit number ${i}`, "-m", `The body of commit ${i}.`);
  }
  const lines = (prefix: string) =>
    Array.from({ length: HEAD_LINES }, (_, i) => `${prefix} ${i + 1}\n`).join("");
  writeFileSync(join(root, "head.txt"), lines("head line"));
  git("add", "-A");
  git("commit", "-q", "-m", "a commit longer than a screen");
  writeFileSync(join(root, "history.txt"), `${history}${lines("work in progress")}`);
  giveToPanes(root);
}

describe("the starter policy's representative commands cover every rule shape", () => {
  it("each shape `ccmux init` writes has a run below (a new rule needs one)", () => {
    const shapes = starterPolicy().commands.flatMap((rule) =>
      (rule.args ?? [""]).map((shape) => `${rule.command} ${shape}`),
    );
    expect([...new Set(RUNS.map((run) => run.shape))].sort()).toEqual([...shapes].sort());
  });
});

describe.each(["required", "off"] as const)("starter policy, sandbox %s", (mode) => {
  let ws: TestWorkspace;
  let mcp: Served;
  let control: TestWorkspace;
  let controlMcp: Served;

  beforeAll(async () => {
    const { workspace: _workspace, ...starter } = starterPolicy();
    const sandbox = { ...(starter.sandbox as Record<string, unknown>), mode };
    ws = makeWorkspace({ ...starter, sandbox });
    makeRepository(ws.root);
    mcp = await serveWorkspace(ws);
    const env = { ...(starter.env as Record<string, unknown>), set: { GIT_PAGER: "less" } };
    control = makeWorkspace({ ...starter, env, sandbox });
    makeRepository(control.root);
    controlMcp = await serveWorkspace(control);
  });
  afterAll(async () => {
    await mcp?.close();
    await controlMcp?.close();
    ws?.cleanup();
    control?.cleanup();
  });

  it.each(RUNS.map((run) => [run.command, run] as const))(
    "%s runs to completion and its output ends on the screen",
    async (_command, run) => {
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: run.command });
      const done = await mcp.ok<{ matched: boolean; exitCode: number | null }>("wait_for", {
        pane,
        exit: true,
        timeout_ms: 30_000,
      });
      const { text } = await mcp.ok<{ text: string }>("read_pane", { pane });
      expect({ matched: done.matched, exitCode: done.exitCode }).toEqual({ matched: true, exitCode: 0 });
      expect(`${text}\n`).toContain(run.shows);
    },
  );

  it("the agent is told pagers print and exit", async () => {
    const summary = await mcp.ok<{ envDefaults: Record<string, string>; envSet: string[] }>("policy");
    expect(summary.envDefaults).toEqual({ PAGER: "cat", GIT_PAGER: "cat" });
    expect(summary.envSet).toEqual([]);
  });

  it("control: with GIT_PAGER=less the same git log stops on its first page and never exits", async () => {
    const { pane } = await controlMcp.ok<{ pane: string }>("spawn", { command: "git log" });
    const first = await controlMcp.ok<{ matched: boolean }>("wait_for", {
      pane,
      text: `commit number ${COMMITS}`,
      timeout_ms: 30_000,
    });
    expect(first.matched).toBe(true);
    // less never exits by itself: the bounded wait only shows that nothing but kill_pane would end it.
    const done = await controlMcp.ok<{ matched: boolean; alive: boolean }>("wait_for", {
      pane,
      exit: true,
      timeout_ms: 2_000,
    });
    const { text } = await controlMcp.ok<{ text: string }>("read_pane", { pane });
    expect({ matched: done.matched, alive: done.alive }).toEqual({ matched: false, alive: true });
    expect(`${text}\n`).not.toContain("commit number 1\n");
    await controlMcp.ok("kill_pane", { pane });
  });
});
