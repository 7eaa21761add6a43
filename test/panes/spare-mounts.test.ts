import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mountsAttached, spareMountPoints } from "../../src/panes/sandbox/spare-mounts.js";
import { BWRAP } from "../support/bwrap-path.js";
import { eventually } from "../support/mcp-harness.js";

describe("which of a plan's mounts a spare sandbox still has", () => {
  it("each path as many times as the plan mounts it; symlinks are no mounts; a --ro-bind-try only where its path exists", () => {
    const mounts = [
      { op: "bind", path: "/ws" },
      { op: "ro-bind", path: "/ws/.git" },
      { op: "tmpfs", path: "/home/u" },
      { op: "ro-empty", path: "/home/u" },
      { op: "symlink", path: "/home/u/link", target: "/x" },
      { op: "ro-bind-try", path: "/nonexistent/ccmux-spare-mounts-test" },
    ] as const;
    const all = ["/", "/ws", "/ws/.git", "/home/u", "/home/u", "/proc", "/dev"];
    expect(mountsAttached(mounts, all)).toBe(true);
    expect(
      mountsAttached(
        mounts,
        all.filter((point) => point !== "/ws/.git"),
      ),
    ).toBe(false);
    // One of the two mounts on /home/u gone: the count tells.
    expect(mountsAttached(mounts, ["/", "/ws", "/ws/.git", "/home/u"])).toBe(false);
    expect(mountsAttached([{ op: "ro-bind-try", path: "/" }], [])).toBe(false);
  });
});

describe.skipIf(!BWRAP)("a spare sandbox's mount dropped by the host is seen (needs bubblewrap)", () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill("SIGKILL");
    child = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("the host deletes a read-only bound directory and makes it again: the mount is gone from the sandbox, whatever the new directory's inode number", async () => {
    dir = realpathSync(mkdtempSync("/var/tmp/ccmux-spare-mounts-"));
    const protectedDir = join(dir, "a dir with spaces", ".git");
    mkdirSync(protectedDir, { recursive: true });
    writeFileSync(join(protectedDir, "HEAD"), "ref: refs/heads/main\n");
    // A chain like a spare's: bwrap, its init in the new namespaces, and the program waiting there.
    child = spawn(
      BWRAP as string,
      [
        "--unshare-all",
        "--die-with-parent",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--ro-bind",
        protectedDir,
        protectedDir,
        "--",
        "/bin/sleep",
        "1000",
      ],
      { stdio: "ignore" },
    );
    const pid = child.pid as number;
    const plan = [{ op: "ro-bind", path: protectedDir }] as const;
    const points = await eventually(() => {
      const now = spareMountPoints(pid);
      return now !== undefined && mountsAttached(plan, now) && now;
    });
    expect(points).toContain(protectedDir);
    rmSync(protectedDir, { recursive: true });
    mkdirSync(protectedDir);
    const after = spareMountPoints(pid);
    expect(after).toBeDefined();
    expect(after).not.toContain(protectedDir);
    expect(mountsAttached(plan, after ?? [])).toBe(false);
  });

  it("a process with no child, or none at all, is no spare: nothing is read", () => {
    child = spawn("/bin/sleep", ["1000"], { stdio: "ignore" });
    expect(spareMountPoints(child.pid as number)).toBeUndefined();
    expect(spareMountPoints(1 << 22)).toBeUndefined();
  });
});
