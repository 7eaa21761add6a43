import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NESTED_REPO_DEPTH } from "../../src/panes/sandbox/git-paths.js";
import { MAX_REBUILD_ENTRIES } from "../../src/panes/sandbox/hide-mounts.js";
import { type Mount, planMounts, planSpawn, type SandboxLayout } from "../../src/panes/sandbox/mount-plan.js";
import { DEFAULT_READ_ONLY, GIT_WRITES_READ_ONLY } from "../../src/validation/sandbox-paths.js";

let dir: string;
let ws: string;
let home: string;

function layout(extra: Partial<SandboxLayout> = {}): SandboxLayout {
  return {
    workspace: [ws],
    hide: [],
    readOnly: GIT_WRITES_READ_ONLY,
    alwaysHide: [],
    alwaysReadOnly: [],
    reveal: [],
    home,
    ...extra,
  };
}

const index = (mounts: Mount[], op: Mount["op"], path: string): number =>
  mounts.findIndex((m) => m.op === op && m.path === path);

beforeEach(() => {
  // Not under /tmp: every sandbox has a private /tmp, so hidden paths there are (rightly) left out of the plan.
  dir = realpathSync(mkdtempSync("/var/tmp/ccmux-mounts-"));
  ws = join(dir, "ws");
  home = join(dir, "home");
  mkdirSync(ws);
  mkdirSync(home);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("read-only protections (default: all of .git)", () => {
  it("binds .git read-only as a whole, which also makes it a mount point that cannot be renamed", () => {
    mkdirSync(join(ws, ".git", "hooks"), { recursive: true });
    const mounts = planMounts(layout({ readOnly: DEFAULT_READ_ONLY }), []);
    expect(mounts.filter((m) => m.path.startsWith(join(ws, ".git")))).toEqual([
      { op: "ro-bind", path: join(ws, ".git") },
    ]);
  });

  it("with gitWrites, .hg/, .jj/, .sl/, _darcs/ and .pijul/ stay read-only, at the root and nested", () => {
    for (const dir of [".hg", "sub/.jj", "sub/.git/hooks", "deep/.sl", "_darcs", "d/_darcs", "p/.pijul"])
      mkdirSync(join(ws, dir), { recursive: true });
    const readOnly = planMounts(layout({ readOnly: GIT_WRITES_READ_ONLY }), [])
      .filter((m) => m.op === "ro-bind")
      .map((m) => m.path);
    expect(readOnly).toEqual(
      expect.arrayContaining([
        join(ws, ".hg"),
        join(ws, "sub", ".jj"),
        join(ws, "deep", ".sl"),
        join(ws, "_darcs"),
        join(ws, "d", "_darcs"),
        join(ws, "p", ".pijul"),
      ]),
    );
  });

  it("a symlinked .git does not stop the spawn: its target in the workspace is read-only, the link is reported", () => {
    mkdirSync(join(ws, "real-git", "hooks"), { recursive: true });
    symlinkSync("real-git", join(ws, ".git"));
    const plan = planSpawn(layout({ readOnly: DEFAULT_READ_ONLY }), []);
    expect(plan.mounts).toContainEqual({ op: "ro-bind", path: join(ws, "real-git") });
    expect(plan.warnings.join("\n")).toMatch(/\.git" is a symlink/);
  });

  it("a symlinked .git pointing outside the workspace is reported, not refused (the system is read-only there)", () => {
    mkdirSync(join(dir, "elsewhere"));
    symlinkSync(join(dir, "elsewhere"), join(ws, ".git"));
    const plan = planSpawn(layout({ readOnly: DEFAULT_READ_ONLY }), []);
    expect(plan.mounts.some((m) => m.path.startsWith(join(dir, "elsewhere")))).toBe(false);
    expect(plan.warnings).toHaveLength(1);
  });

  it("protects the directory core.hooksPath names, with a stand-in when it does not exist yet", () => {
    mkdirSync(join(ws, ".git"));
    writeFileSync(join(ws, ".git", "config"), '[core]\n\thooksPath = ".githooks"\n');
    const mounts = planMounts(layout({ readOnly: DEFAULT_READ_ONLY }), []);
    expect(mounts).toContainEqual({ op: "ro-empty", path: join(ws, ".githooks") });
    mkdirSync(join(ws, ".githooks"));
    expect(planMounts(layout({ readOnly: DEFAULT_READ_ONLY }), [])).toContainEqual({
      op: "ro-bind",
      path: join(ws, ".githooks"),
    });
  });

  it("protects the .git of every repository below a root (a workspace of checkouts)", () => {
    mkdirSync(join(ws, "a", ".git"), { recursive: true });
    mkdirSync(join(ws, "group", "b", ".git"), { recursive: true });
    const mounts = planMounts(layout({ readOnly: DEFAULT_READ_ONLY }), []);
    expect(mounts).toContainEqual({ op: "ro-bind", path: join(ws, "a", ".git") });
    expect(mounts).toContainEqual({ op: "ro-bind", path: join(ws, "group", "b", ".git") });
  });

  it("protects repositories whatever their parent is called: build, dist, vendor, target, node_modules/pkg, dot-directories", () => {
    const repos = [
      "build/x",
      "dist/x",
      "vendor/x",
      "target/x",
      "node_modules/pkg",
      ".dotfiles",
      "node_modules/@scope/pkg",
    ];
    for (const repo of repos) mkdirSync(join(ws, repo, ".git", "hooks"), { recursive: true });
    const mounts = planMounts(layout({ readOnly: DEFAULT_READ_ONLY }), []);
    for (const repo of repos) expect(mounts).toContainEqual({ op: "ro-bind", path: join(ws, repo, ".git") });
  });

  it(`protects repositories ${NESTED_REPO_DEPTH} levels deep, and pins every directory on the way`, () => {
    const deep = Array.from({ length: NESTED_REPO_DEPTH }, (_, i) => `d${i}`);
    mkdirSync(join(ws, ...deep, ".git"), { recursive: true });
    const mounts = planMounts(layout({ readOnly: DEFAULT_READ_ONLY }), []);
    expect(mounts).toContainEqual({ op: "ro-bind", path: join(ws, ...deep, ".git") });
    for (let i = 1; i <= deep.length; i++)
      expect(mounts).toContainEqual({ op: "bind", path: join(ws, ...deep.slice(0, i)) });
  });

  it("protects a .git file's gitdir when it lies in the workspace (a planted pointer to planted hooks)", () => {
    mkdirSync(join(ws, "sub"));
    mkdirSync(join(ws, "planted", "hooks"), { recursive: true });
    writeFileSync(join(ws, "sub", ".git"), "gitdir: ../planted\n");
    const mounts = planMounts(layout({ readOnly: DEFAULT_READ_ONLY }), []);
    expect(mounts).toContainEqual({ op: "ro-bind", path: join(ws, "sub", ".git") });
    expect(mounts).toContainEqual({ op: "ro-bind", path: join(ws, "planted") });
  });

  it("stands in for the first missing directory of a hooksPath (tools/ missing: tools/hooks cannot be made)", () => {
    mkdirSync(join(ws, ".git"));
    writeFileSync(join(ws, ".git", "config"), "[core]\n\thooksPath = tools/hooks ; team hooks\n");
    const mounts = planMounts(layout({ readOnly: DEFAULT_READ_ONLY }), []);
    expect(mounts).toContainEqual({ op: "ro-empty", path: join(ws, "tools") });
  });

  it("warns, never refuses, when a hooksPath is the workspace root (a nested repo's config can say so)", () => {
    mkdirSync(join(ws, "sub", ".git"), { recursive: true });
    writeFileSync(join(ws, "sub", ".git", "config"), "[core]\n\thooksPath = ..\n");
    const plan = planSpawn(layout({ readOnly: DEFAULT_READ_ONLY }), []);
    expect(plan.warnings.join("\n")).toMatch(/hooksPath names the workspace root/);
    expect(planSpawn(layout({ readOnly: DEFAULT_READ_ONLY }), [], { protections: false }).warnings).toEqual(
      [],
    );
  });

  it("applies hidden paths inside the workspace after the protections, so a pin cannot show them again", () => {
    mkdirSync(join(ws, ".git", "secrets"), { recursive: true });
    const mounts = planMounts(
      layout({ readOnly: DEFAULT_READ_ONLY, hide: [join(ws, ".git", "secrets")] }),
      [],
    );
    expect(index(mounts, "tmpfs", join(ws, ".git", "secrets"))).toBeGreaterThan(
      index(mounts, "ro-bind", join(ws, ".git")),
    );
  });
});

describe("read-only protections with gitWrites (hooks and config only)", () => {
  it("pins .git so it cannot be renamed away, then makes hooks and config read-only", () => {
    mkdirSync(join(ws, ".git", "hooks"), { recursive: true });
    writeFileSync(join(ws, ".git", "config"), "");
    const mounts = planMounts(layout(), []);
    const pin = index(mounts, "bind", join(ws, ".git"));
    expect(pin).toBeGreaterThan(index(mounts, "bind", ws));
    expect(index(mounts, "ro-bind", join(ws, ".git", "hooks"))).toBeGreaterThan(pin);
    expect(index(mounts, "ro-bind", join(ws, ".git", "config"))).toBeGreaterThan(pin);
    expect(mounts.filter((m) => m.path === join(ws, ".git"))).toHaveLength(1); // pinned once
  });

  it("stands an empty read-only directory in for a missing .git/hooks, but does not create .husky at the root", () => {
    mkdirSync(join(ws, ".git"));
    const mounts = planMounts(layout(), []);
    expect(index(mounts, "ro-empty", join(ws, ".git", "hooks"))).toBeGreaterThan(-1);
    expect(mounts.some((m) => m.path === join(ws, ".husky"))).toBe(false);
  });

  it("covers submodule hooks through the * pattern", () => {
    mkdirSync(join(ws, ".git", "modules", "lib", "hooks"), { recursive: true });
    const mounts = planMounts(layout(), []);
    expect(index(mounts, "bind", join(ws, ".git", "modules", "lib"))).toBeGreaterThan(-1);
    expect(index(mounts, "ro-bind", join(ws, ".git", "modules", "lib", "hooks"))).toBeGreaterThan(-1);
  });

  it("keeps a .git file (worktree pointer) read-only: rewriting it would redirect git to planted hooks", () => {
    writeFileSync(join(ws, ".git"), "gitdir: /elsewhere\n");
    const mounts = planMounts(layout(), []);
    expect(index(mounts, "ro-bind", join(ws, ".git"))).toBeGreaterThan(-1);
  });

  it("a symlinked hooks directory: its target is read-only and the link reported (a symlink cannot be pinned)", () => {
    mkdirSync(join(ws, ".git"));
    mkdirSync(join(ws, "tools-hooks"));
    symlinkSync("../tools-hooks", join(ws, ".git", "hooks"));
    const plan = planSpawn(layout(), []);
    expect(plan.mounts).toContainEqual({ op: "ro-bind", path: join(ws, "tools-hooks") });
    expect(plan.warnings.join("\n")).toMatch(/hooks" is a symlink/);
  });
});

describe("hidden paths", () => {
  it("expands ~ and a * in the last segment, follows symlinks to what must be hidden, and skips what is absent", () => {
    mkdirSync(join(home, ".claude"));
    writeFileSync(join(home, ".claude.json"), "{}");
    mkdirSync(join(dir, "real-ssh"));
    symlinkSync(join(dir, "real-ssh"), join(home, ".ssh"));
    const mounts = planMounts(layout({ hide: ["~/.claude*", "~/.ssh", "~/.aws"] }), []);
    expect(mounts).toContainEqual({ op: "tmpfs", path: join(home, ".claude") });
    // The hidden file's directory is rebuilt without it (see the next test).
    expect(mounts).toContainEqual({ op: "tmpfs", path: home });
    expect(mounts.some((m) => m.path === join(home, ".claude.json"))).toBe(false);
    expect(mounts).toContainEqual({ op: "tmpfs", path: join(dir, "real-ssh") });
    expect(mounts.some((m) => m.path.endsWith(".aws"))).toBe(false);
  });

  it("hides outside paths before the workspace is bound and inside paths after, so both hold", () => {
    mkdirSync(join(ws, "secrets"));
    const outer = join(dir, "outer");
    mkdirSync(outer);
    const mounts = planMounts(layout({ hide: [outer, join(ws, "secrets")] }), []);
    const bind = index(mounts, "bind", ws);
    expect(index(mounts, "tmpfs", outer)).toBeGreaterThan(-1);
    expect(index(mounts, "tmpfs", outer)).toBeLessThan(bind);
    expect(index(mounts, "tmpfs", join(ws, "secrets"))).toBeGreaterThan(bind);
  });

  it("hides a file by rebuilding its directory without it: a mount on the file would fall away when the host replaces it", () => {
    writeFileSync(join(home, ".netrc"), "machine x password y\n");
    writeFileSync(join(home, ".bashrc"), "# rc\n");
    mkdirSync(join(home, "proj"));
    symlinkSync("proj", join(home, "current"));
    const mounts = planMounts(layout({ hide: ["~/.netrc"] }), []);
    const rebuilt = index(mounts, "tmpfs", home);
    expect(rebuilt).toBeGreaterThan(-1);
    expect(index(mounts, "ro-bind-try", join(home, ".bashrc"))).toBeGreaterThan(rebuilt);
    expect(index(mounts, "ro-bind-try", join(home, "proj"))).toBeGreaterThan(rebuilt);
    expect(mounts).toContainEqual({ op: "symlink", path: join(home, "current"), target: "proj" });
    expect(mounts.some((m) => m.path === join(home, ".netrc"))).toBe(false);
  });

  it("shows a revealed file again after hiding its directory, and nothing that was not hidden", () => {
    const run = join(dir, "run");
    mkdirSync(join(run, "resolve"), { recursive: true });
    writeFileSync(join(run, "resolve", "stub-resolv.conf"), "nameserver 127.0.0.53\n");
    const etc = join(dir, "etc");
    mkdirSync(etc);
    writeFileSync(join(etc, "resolv.conf"), "nameserver 1.1.1.1\n");
    const resolver = join(run, "resolve", "stub-resolv.conf");
    const mounts = planMounts(layout({ hide: [run], reveal: [resolver, join(etc, "resolv.conf")] }), []);
    expect(index(mounts, "ro-bind", resolver)).toBeGreaterThan(index(mounts, "tmpfs", run));
    // Not hidden in the first place: binding it again could only re-show something hidden below it.
    expect(mounts.some((m) => m.path === join(etc, "resolv.conf"))).toBe(false);
  });

  it("leaves unix sockets out of a rebuilt directory: a read-only mount does not stop connect(2)", async () => {
    writeFileSync(join(home, ".netrc"), "x\n");
    const socketPath = join(home, "agent.sock");
    const server = createServer();
    await new Promise<void>((done) => server.listen(socketPath, done));
    try {
      const mounts = planMounts(layout({ hide: ["~/.netrc"] }), []);
      expect(mounts.some((m) => m.path === socketPath)).toBe(false);
    } finally {
      server.close();
    }
  });

  it("covers hidden files one by one in a directory too large to rebuild", () => {
    writeFileSync(join(home, ".netrc"), "x\n");
    for (let i = 0; i <= MAX_REBUILD_ENTRIES; i++) writeFileSync(join(home, `f${i}`), "");
    const mounts = planMounts(layout({ hide: ["~/.netrc"] }), []);
    expect(mounts).toContainEqual({ op: "empty-file", path: join(home, ".netrc") });
    expect(mounts.some((m) => m.op === "tmpfs" && m.path === home)).toBe(false);
  });

  it("leaves out what lies under /tmp, which is a fresh tmpfs in every sandbox", () => {
    const inTmp = realpathSync(mkdtempSync(join(tmpdir(), "ccmux-hidden-")));
    try {
      const mounts = planMounts(layout({ hide: [inTmp] }), []);
      expect(mounts.some((m) => m.path === inTmp)).toBe(false);
    } finally {
      rmSync(inTmp, { recursive: true, force: true });
    }
  });

  it("lets the workspace win over a hidden directory that contains it", () => {
    const mounts = planMounts(layout({ hide: [dir] }), []);
    expect(index(mounts, "tmpfs", dir)).toBeGreaterThan(-1);
    expect(index(mounts, "tmpfs", dir)).toBeLessThan(index(mounts, "bind", ws));
  });

  it("binds extra directories (a session dir inside hidden state) after hiding their parent", () => {
    const state = join(dir, "state");
    const session = join(state, "sessions", "s-1");
    mkdirSync(session, { recursive: true });
    const mounts = planMounts(layout({ alwaysHide: [state] }), [session]);
    expect(index(mounts, "tmpfs", state)).toBeGreaterThan(-1);
    expect(index(mounts, "tmpfs", state)).toBeLessThan(index(mounts, "bind", session));
  });
});
