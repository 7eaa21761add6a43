import { chmodSync, chownSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { daemonFiles } from "../../src/daemon/daemon-files.js";
import { verifyDaemon } from "../../src/daemon/daemon-verify.js";
import type { DaemonInfo } from "../../src/daemon/info-file.js";
import { writeInfo } from "../../src/daemon/info-file-write.js";
import { ensureSocketDir } from "../../src/daemon/runtime-dir.js";
import { newSocketPath } from "../../src/daemon/socket-listen.js";
import {
  type Child,
  cleanup,
  connectionsBefore,
  holdLock,
  IS_ROOT,
  NOT_ROOT_REASON,
  policyFile,
  privateDir,
  serveSocket,
} from "./daemon-test-kit.js";

let base: string;
const children: Child[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child.kill9();
  cleanup(base);
});

/** Our directory with a planted server on a random-looking name, and an info file pointing at it. */
async function planted(pid?: number) {
  base = privateDir();
  const policy = policyFile(base);
  const dir = join(base, "ccmux");
  ensureSocketDir(dir);
  const files = daemonFiles(dir, policy.path);
  const socket = newSocketPath(dir);
  const server = await serveSocket(socket);
  children.push(server);
  const info: DaemonInfo = {
    version: 1,
    policy: policy.path,
    policyHash: policy.hash,
    socket,
    pid: pid ?? server.pid,
    started: new Date().toISOString(),
    ccmux: "0.1.0",
  };
  writeInfo(files.info, info);
  return { dir, policy, files, socket, server, info };
}

describe("planted socket (seed §5.1): never connected to", () => {
  it("a server planted on the info file's socket, with no daemon holding the lock, is stale and gets no connection", async () => {
    const { dir, policy, socket, server } = await planted();
    const verdict = await verifyDaemon(dir, policy.path);
    expect(verdict).toMatchObject({ ok: false, stale: true });
    expect(await connectionsBefore(server, socket)).toBe(0);
  });

  it("control: the same planted server does get the connection when the checks are skipped", async () => {
    const { socket, server } = await planted();
    expect(await connectionsBefore(server, socket)).toBe(0);
    expect(await connectionsBefore(server, socket)).toBe(1);
  });

  it("a daemon holds the lock, but the socket named is world-connectable (0666): refused, no connection", async () => {
    const { dir, policy, files, socket, server } = await planted();
    const holder = await holdLock(files.lock);
    children.push(holder);
    const { info } = await rewriteInfoPid(files.info, holder.pid, socket, policy);
    expect(info.pid).toBe(holder.pid);
    chmodSync(socket, 0o666);
    const verdict = await verifyDaemon(dir, policy.path);
    expect(verdict).toMatchObject({ ok: false, stale: false });
    if (!verdict.ok) expect(verdict.reason).toContain("chmod 600");
    expect(await connectionsBefore(server, socket)).toBe(0);
  });

  it.skipIf(!IS_ROOT)(
    `the socket named belongs to another uid: refused, no connection (${NOT_ROOT_REASON})`,
    async () => {
      const { dir, policy, files, socket, server } = await planted();
      const holder = await holdLock(files.lock);
      children.push(holder);
      await rewriteInfoPid(files.info, holder.pid, socket, policy);
      chownSync(socket, 65534, 65534);
      const verdict = await verifyDaemon(dir, policy.path);
      expect(verdict).toMatchObject({ ok: false, stale: false });
      if (!verdict.ok) expect(verdict.reason).toContain("belongs to uid 65534");
      expect(await connectionsBefore(server, socket)).toBe(0);
    },
  );
});

async function rewriteInfoPid(
  path: string,
  pid: number,
  socket: string,
  policy: { path: string; hash: string },
) {
  const info: DaemonInfo = {
    version: 1,
    policy: policy.path,
    policyHash: policy.hash,
    socket,
    pid,
    started: new Date().toISOString(),
    ccmux: "0.1.0",
  };
  writeInfo(path, info);
  return { info };
}
