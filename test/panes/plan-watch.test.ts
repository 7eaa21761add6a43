import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MountPlan, planSpawn, type SandboxLayout } from "../../src/panes/sandbox/mount-plan.js";
import { readingFor } from "../../src/panes/sandbox/plan-reads.js";
import { MAX_PLAN_WATCHES, type PlanWatch, PlanWatcher } from "../../src/panes/sandbox/plan-watch.js";
import { fitOf, stillFits } from "../../src/panes/sandbox/spare-fit.js";
import { spawnLayout } from "../support/spawn-layout.js";

/**
 * A spare sandbox is used without planning its mounts again while its PlanWatch says nothing the plan read has
 * changed (issue 16). These tests make the plan a spawn makes (planSpawn, real files, real inotify), change the
 * disk, and hold the watch to one rule: when it says unchanged, the plan made now must be the same plan, bound to
 * the same files. The changes are the attacks the fit check was built against (a planted repository, a swapped
 * `.git`, a hooksPath, a closed directory, a symlink swapped on the way to a hidden file) and their kin; the
 * harmless ones (a file written, git's own lock files) must leave it unchanged, or the fast path is never taken.
 */

let dir: string;
let ws: string;
let home: string;
let watcher: PlanWatcher;

const layout = (): SandboxLayout => spawnLayout(ws, home, ["~/.ssh", "~/.netrc", "~/.config/gh"]);

function watchedPlan(): { plan: MountPlan; watch: PlanWatch } {
  const watch = watcher.watchPlan();
  return { plan: readingFor(watch, () => planSpawn(layout(), [])), watch };
}

/** The rule: unchanged means the plan made now is the same and fits (every mounted path the same file). */
function expectSoundAfter(change: () => void): boolean {
  const { plan, watch } = watchedPlan();
  const fit = fitOf(plan);
  change();
  const unchanged = watch.unchanged();
  watch.close();
  if (unchanged) {
    const now = planSpawn(layout(), []);
    expect(now.mounts).toEqual(plan.mounts);
    expect(now.warnings).toEqual(plan.warnings);
    expect(stillFits(fit, now)).toBe(true);
  }
  return unchanged;
}

const asRoot = process.getuid?.() === 0;

beforeEach(() => {
  dir = realpathSync(mkdtempSync("/var/tmp/ccmux-plan-watch-"));
  ws = join(dir, "ws");
  home = join(dir, "home");
  mkdirSync(join(ws, "repo", ".git", "hooks"), { recursive: true });
  writeFileSync(join(ws, "repo", ".git", "config"), "[core]\n");
  writeFileSync(join(ws, "repo", ".git", "HEAD"), "ref: refs/heads/main\n");
  mkdirSync(join(ws, "src", "lib"), { recursive: true });
  writeFileSync(join(ws, "notes.txt"), "notes\n");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  mkdirSync(join(dir, "dotfiles", "config"), { recursive: true });
  symlinkSync(join(dir, "dotfiles", "config"), join(home, ".config"));
  writeFileSync(join(home, ".gitconfig"), "[user]\n\tname = someone\n");
  const opened = PlanWatcher.open();
  if (!opened) throw new Error("inotify is not available to this test");
  watcher = opened;
});
afterEach(() => {
  watcher.close();
  chmodSync(join(ws, "src"), 0o755);
  rmSync(dir, { recursive: true, force: true });
});

describe("a spare's plan watch reports every change that can change the plan", () => {
  it("control: nothing changed, it says unchanged", () => {
    expect(expectSoundAfter(() => {})).toBe(true);
  });

  it("a repository planted deep after the plan is reported", () => {
    const unchanged = expectSoundAfter(() =>
      mkdirSync(join(ws, "src", "lib", "x", ".git"), { recursive: true }),
    );
    expect(unchanged).toBe(false);
  });

  it("a protected .git swapped for a fresh one is reported", () => {
    const unchanged = expectSoundAfter(() => {
      renameSync(join(ws, "repo", ".git"), join(ws, "repo", "old"));
      mkdirSync(join(ws, "repo", ".git", "hooks"), { recursive: true });
    });
    expect(unchanged).toBe(false);
  });

  it("a .git deleted and made again (its inode number reused) is reported", () => {
    const unchanged = expectSoundAfter(() => {
      rmSync(join(ws, "repo", ".git"), { recursive: true });
      mkdirSync(join(ws, "repo", ".git", "hooks"), { recursive: true });
    });
    expect(unchanged).toBe(false);
  });

  it("a hooksPath written into a repository's config is reported", () => {
    const unchanged = expectSoundAfter(() =>
      appendFileSync(join(ws, "repo", ".git", "config"), "\thooksPath = ../../src\n"),
    );
    expect(unchanged).toBe(false);
  });

  it("a hooksPath written into the user's ~/.gitconfig is reported", () => {
    const unchanged = expectSoundAfter(() =>
      appendFileSync(join(home, ".gitconfig"), "[core]\n\thooksPath = /var/tmp/planted\n"),
    );
    expect(unchanged).toBe(false);
  });

  it("a config replaced by rename (git config's lock file) is reported", () => {
    const unchanged = expectSoundAfter(() => {
      writeFileSync(join(ws, "repo", ".git", "config.lock"), "[core]\n\thooksPath = x\n");
      renameSync(join(ws, "repo", ".git", "config.lock"), join(ws, "repo", ".git", "config"));
    });
    expect(unchanged).toBe(false);
  });

  it("a secret file made where the policy hides one is reported", () => {
    expect(expectSoundAfter(() => writeFileSync(join(home, ".netrc"), "machine x\n"))).toBe(false);
  });

  it("a hidden directory made through a symlink on the way (~/.config) is reported", () => {
    const unchanged = expectSoundAfter(() =>
      mkdirSync(join(dir, "dotfiles", "config", "gh"), { recursive: true }),
    );
    expect(unchanged).toBe(false);
  });

  it("the symlink on the way swapped to another directory is reported", () => {
    mkdirSync(join(dir, "other", "gh"), { recursive: true });
    const unchanged = expectSoundAfter(() => {
      rmSync(join(home, ".config"));
      symlinkSync(join(dir, "other"), join(home, ".config"));
    });
    expect(unchanged).toBe(false);
  });

  it("a directory above the symlink's target renamed is reported", () => {
    mkdirSync(join(dir, "dotfiles", "config", "gh"), { recursive: true });
    const unchanged = expectSoundAfter(() => renameSync(join(dir, "dotfiles"), join(dir, "dotfiles-moved")));
    expect(unchanged).toBe(false);
  });

  it("a directory closed to the server (chmod 000) is reported", () => {
    const unchanged = expectSoundAfter(() => chmodSync(join(ws, "src"), 0o000));
    expect(unchanged).toBe(false);
  });

  it("another version-control directory and a bare repository planted are reported", () => {
    expect(expectSoundAfter(() => mkdirSync(join(ws, "src", "lib", ".hg")))).toBe(false);
    expect(
      expectSoundAfter(() => {
        mkdirSync(join(ws, "src", "bare", "objects"), { recursive: true });
        mkdirSync(join(ws, "src", "bare", "refs"));
        writeFileSync(join(ws, "src", "bare", "HEAD"), "ref: refs/heads/main\n");
      }),
    ).toBe(false);
  });

  it("a protected .git swapped for a symlink is reported", () => {
    mkdirSync(join(ws, "src", "fake-git"));
    const unchanged = expectSoundAfter(() => {
      rmSync(join(ws, "repo", ".git"), { recursive: true });
      symlinkSync(join(ws, "src", "fake-git"), join(ws, "repo", ".git"));
    });
    expect(unchanged).toBe(false);
  });

  it("the workspace's parent renamed is reported", () => {
    const unchanged = expectSoundAfter(() => renameSync(dir, `${dir}-moved`));
    renameSync(`${dir}-moved`, dir);
    expect(unchanged).toBe(false);
  });

  it.skipIf(!asRoot)("a file system mounted on a workspace directory is reported (the mount table)", () => {
    const target = join(ws, "src");
    try {
      const unchanged = expectSoundAfter(() => execFileSync("mount", ["-t", "tmpfs", "none", target]));
      expect(unchanged).toBe(false);
    } finally {
      execFileSync("umount", [target]);
    }
  });

  it("a .git pointer rewritten through a shared memory mapping (which queues no event) is reported", async () => {
    // An attack review: the mapping is made before the plan, the write after it; inotify sees no write.
    const pointer = join(ws, "repo", "sub", ".git");
    mkdirSync(join(ws, "repo", "sub"));
    mkdirSync(join(ws, "gd1"));
    writeFileSync(pointer, `gitdir: ../../gd1${" ".repeat(64)}\n`);
    const script = [
      "import mmap, sys",
      `f = open(${JSON.stringify(pointer)}, "r+b")`,
      "m = mmap.mmap(f.fileno(), 0)",
      "f.close()",
      "print('mapped', flush=True)",
      "sys.stdin.readline()",
      "m[:26] = b'gitdir: ../../src/lib/gd2 '",
      "m.flush()",
      "print('written', flush=True)",
      "sys.stdin.readline()",
    ].join("\n");
    const writer: ChildProcess = spawn("python3", ["-c", script], { stdio: ["pipe", "pipe", "inherit"] });
    const said = (word: string) =>
      new Promise<void>((resolve) =>
        writer.stdout?.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes(word)) resolve();
        }),
      );
    try {
      await said("mapped");
      const { plan, watch } = watchedPlan();
      const written = said("written");
      writer.stdin?.write("\n");
      await written;
      const unchanged = watch.unchanged();
      watch.close();
      expect(planSpawn(layout(), []).mounts).not.toEqual(plan.mounts);
      expect(unchanged).toBe(false);
    } finally {
      writer.stdin?.end("\n");
      await once(writer, "exit");
    }
  });

  it("a protected name linked through /proc/<pid>/cwd (a `cd` moves it unseen) is never trusted", async () => {
    mkdirSync(join(ws, "dirA", "hooks"), { recursive: true });
    const holder = spawn("sleep", ["60"], { cwd: join(ws, "dirA"), stdio: "ignore" });
    try {
      symlinkSync(`/proc/${holder.pid}/cwd/hooks`, join(ws, ".husky"));
      expect(expectSoundAfter(() => {})).toBe(false);
    } finally {
      holder.kill();
      await once(holder, "exit");
    }
  });

  it("configs too large to read again at each check (a pane's many repositories) are never trusted", () => {
    for (let i = 0; i < 20; i++) {
      mkdirSync(join(ws, "src", `r${i}`, ".git"), { recursive: true });
      writeFileSync(join(ws, "src", `r${i}`, ".git", "config"), `#${"x".repeat(60 * 1024)}\n`);
    }
    expect(expectSoundAfter(() => {})).toBe(false);
  });

  it("a search that needs more watches than the budget is reported, never trusted", () => {
    for (let i = 0; i <= MAX_PLAN_WATCHES; i++) mkdirSync(join(ws, "src", `d${i}`));
    expect(expectSoundAfter(() => {})).toBe(false);
  });
});

describe("a spare's plan watch leaves the plan trusted after harmless writes (the fast path)", () => {
  it("files written and appended in the workspace, and git's lock and object files", () => {
    const unchanged = expectSoundAfter(() => {
      writeFileSync(join(ws, "src", "main.c"), "int main;\n");
      appendFileSync(join(ws, "notes.txt"), "more\n");
      writeFileSync(join(ws, "repo", ".git", "index.lock"), "");
      rmSync(join(ws, "repo", ".git", "index.lock"));
      mkdirSync(join(ws, "repo", ".git", "objects", "ab"), { recursive: true });
    });
    expect(unchanged).toBe(true);
  });

  it("a file made beside the workspace, in a directory above it", () => {
    expect(expectSoundAfter(() => writeFileSync(join(dir, "unrelated.log"), "x"))).toBe(true);
  });

  it("plans share the instance: an older plan's change reaches it, a released plan's does not", () => {
    const first = watchedPlan();
    const second = watchedPlan();
    first.watch.close();
    writeFileSync(join(home, ".netrc"), "machine x\n");
    expect(second.watch.unchanged()).toBe(false);
    const third = watchedPlan();
    expect(third.watch.unchanged()).toBe(true);
    third.watch.close();
    second.watch.close();
  });
});
