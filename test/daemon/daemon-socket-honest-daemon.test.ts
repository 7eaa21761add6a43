import { existsSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { daemonFiles } from "../../src/daemon/daemon-files.js";
import { DaemonLock } from "../../src/daemon/daemon-lock.js";
import { verifyDaemon } from "../../src/daemon/daemon-verify.js";
import { writeInfo } from "../../src/daemon/info-file-write.js";
import { ensureSocketDir } from "../../src/daemon/runtime-dir.js";
import { newSocketPath, removeStaleSocket } from "../../src/daemon/socket-listen.js";
import {
  type Child,
  cleanup,
  type HonestDaemon,
  honestDaemon,
  policyFile,
  privateDir,
  serveSocket,
} from "./daemon-test-kit.js";

let base: string;
let daemon: HonestDaemon | undefined;
const children: Child[] = [];
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
  for (const child of children.splice(0)) await child.kill9();
  cleanup(base);
});

describe("control: the honest daemon is found and trusted", () => {
  it("verifyDaemon connects to the daemon that holds the lock, listens on the socket and wrote the info file", async () => {
    base = privateDir();
    const policy = policyFile(base);
    daemon = await honestDaemon(join(base, "ccmux"), policy);
    const verdict = await verifyDaemon(daemon.dir, policy.path);
    expect(verdict).toMatchObject({ ok: true, info: daemon.info });
    if (!verdict.ok) throw new Error(verdict.reason);
    verdict.socket.write("hello\n");
    await new Promise<void>((settle) => daemon?.accepted[0]?.once("data", () => settle()) ?? settle());
    expect(daemon.accepted).toHaveLength(1);
    verdict.socket.destroy();
  });

  it("the policy named through a symlink finds the same daemon (one daemon per policy file)", async () => {
    base = privateDir();
    const policy = policyFile(base);
    daemon = await honestDaemon(join(base, "ccmux"), policy);
    symlinkSync(policy.path, join(base, "alias.json"));
    const verdict = await verifyDaemon(daemon.dir, join(base, "alias.json"));
    expect(verdict.ok).toBe(true);
    if (verdict.ok) verdict.socket.destroy();
    expect(daemonFiles(daemon.dir, join(base, "alias.json")).key).toBe(daemon.files.key);
  });

  it("no directory, or no info file and a free lock: stale, starting a daemon is safe", async () => {
    base = privateDir();
    const policy = policyFile(base);
    const dir = join(base, "ccmux");
    expect(await verifyDaemon(dir, policy.path)).toMatchObject({ ok: false, stale: true });
    ensureSocketDir(dir);
    expect(await verifyDaemon(dir, policy.path)).toMatchObject({ ok: false, stale: true });
  });

  it("a daemon holding the lock without an info file yet is starting: not stale, retry", async () => {
    base = privateDir();
    const policy = policyFile(base);
    const dir = join(base, "ccmux");
    ensureSocketDir(dir);
    const lock = DaemonLock.acquire(daemonFiles(dir, policy.path).lock) as DaemonLock;
    try {
      expect(await verifyDaemon(dir, policy.path)).toMatchObject({ ok: false, stale: false, retry: true });
    } finally {
      lock.release();
    }
  });

  it("kill -9 of the daemon: clients see stale, and the next daemon (holding the lock) removes the old socket", async () => {
    base = privateDir();
    const policy = policyFile(base);
    const dir = join(base, "ccmux");
    ensureSocketDir(dir);
    const files = daemonFiles(dir, policy.path);
    const socket = newSocketPath(dir);
    const standIn = await serveSocket(socket, files.lock);
    children.push(standIn);
    const info = {
      version: 1 as const,
      policy: policy.path,
      policyHash: policy.hash,
      socket,
      pid: standIn.pid,
      started: new Date().toISOString(),
      ccmux: "0.1.0",
    };
    writeInfo(files.info, info);
    const alive = await verifyDaemon(dir, policy.path);
    expect(alive.ok).toBe(true);
    if (alive.ok) alive.socket.destroy();
    await standIn.kill9();
    expect(await verifyDaemon(dir, policy.path)).toMatchObject({ ok: false, stale: true });
    expect(existsSync(socket)).toBe(true);
    const next = DaemonLock.acquire(files.lock) as DaemonLock;
    try {
      expect(removeStaleSocket(socket)).toBe(true);
      expect(existsSync(socket)).toBe(false);
    } finally {
      next.release();
    }
  });
});
