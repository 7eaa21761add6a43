import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { socketDirProblem } from "../../src/cli/socket-dir-place.js";
import { daemonFiles } from "../../src/daemon/daemon-files.js";
import { lockHolderPid } from "../../src/daemon/daemon-lock.js";
import { verifyDaemon } from "../../src/daemon/daemon-verify.js";
import type { DaemonInfo } from "../../src/daemon/info-file.js";
import { writeInfo } from "../../src/daemon/info-file-write.js";
import { ensureSocketDir } from "../../src/daemon/runtime-dir.js";
import { newSocketPath } from "../../src/daemon/socket-listen.js";
import {
  type Child,
  cleanup,
  lockFileAsDaemonMakesIt,
  policyFile,
  privateDir,
  SOCKET_SERVER,
  start,
} from "./daemon-test-kit.js";

// An attack review (issue 16's bridge work): with XDG_RUNTIME_DIR reached through a symlink into the workspace, a
// sandboxed pane renamed the socket directory's parent, made a new one, and ran a daemon of its own there: it held
// the lock, wrote an info file naming its host pid, listened on a 0600 socket under our uid, and the next bridge
// of another conversation connected to it, sent it everything and showed its forged answers.
const HAS_BWRAP = spawnSync("bwrap", ["--version"]).status === 0;

let base: string;
const children: Child[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child.kill9();
  cleanup(base);
});

describe("a daemon stood up by a sandboxed pane (attack review)", () => {
  it("a socket directory reached through a symlink into the workspace is refused like one given inside it", () => {
    base = privateDir();
    const workspace = join(base, "ws");
    mkdirSync(join(workspace, "rt"), { recursive: true, mode: 0o700 });
    symlinkSync(workspace, join(base, "link"));
    expect(socketDirProblem(join(workspace, "rt", "ccmux"), [workspace])).toContain("overlap");
    expect(socketDirProblem(join(base, "link", "rt", "ccmux"), [workspace])).toContain("overlap");
    // a directory that does not exist yet below the link, and the link itself as the runtime directory
    expect(socketDirProblem(join(base, "link", "new", "deeper", "ccmux"), [workspace])).toContain("overlap");
    expect(socketDirProblem(join(base, "link", "ccmux"), [workspace])).toContain("overlap");
    expect(socketDirProblem(join(base, "elsewhere", "ccmux"), [workspace])).toBeUndefined();
  });

  it.skipIf(!HAS_BWRAP)(
    "the lock holder named in the info file listens on our uid's socket from a pid namespace below ours: refused",
    async () => {
      base = privateDir();
      const policy = policyFile(base);
      const dir = join(base, "ccmux");
      ensureSocketDir(dir);
      const files = daemonFiles(dir, policy.path);
      const socket = newSocketPath(dir);
      lockFileAsDaemonMakesIt(files.lock);
      // The stand-in daemon (flock -F execs the fixture server, so one process holds the lock and listens) in a
      // pid namespace of its own, as a pane's sandbox runs it; same uid, same files.
      const sandboxed = start("bwrap", [
        ...(process.getuid?.() === 0 ? [] : ["--unshare-user"]),
        "--unshare-pid",
        "--die-with-parent",
        "--dev-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "flock",
        "-n",
        "-F",
        files.lock,
        process.execPath,
        SOCKET_SERVER,
        socket,
      ]);
      children.push(sandboxed);
      await sandboxed.waitFor("listening");
      // Its pid as this namespace sees it is the one /proc/locks names; the info file names it, as the attack did.
      const hostPid = lockHolderPid(files.lock);
      expect(hostPid).toBeGreaterThan(0);
      writeInfo(files.info, {
        version: 1,
        policy: policy.path,
        policyHash: policy.hash,
        socket,
        pid: hostPid as number,
        started: new Date().toISOString(),
        ccmux: "0.1.0",
      } satisfies DaemonInfo);
      const verdict = await verifyDaemon(dir, policy.path);
      expect(verdict).toMatchObject({ ok: false, stale: false });
      if (!verdict.ok) expect(verdict.reason).toContain("pid namespace below this one");
    },
  );
});
