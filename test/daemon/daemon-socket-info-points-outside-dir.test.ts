import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

/** A running daemon (holding the lock) whose info file names `socketFor(dir, base)` instead of its own socket. */
async function infoNaming(socketFor: (dir: string, base: string) => string) {
  base = privateDir();
  const policy = policyFile(base);
  const dir = join(base, "ccmux");
  ensureSocketDir(dir);
  const files = daemonFiles(dir, policy.path);
  const holder = await holdLock(files.lock);
  children.push(holder);
  const socket = socketFor(dir, base);
  mkdirSync(join(socket, ".."), { recursive: true, mode: 0o700 });
  const server = await serveSocket(socket);
  children.push(server);
  const info: DaemonInfo = {
    version: 1,
    policy: policy.path,
    policyHash: policy.hash,
    socket,
    pid: holder.pid,
    started: new Date().toISOString(),
    ccmux: "0.1.0",
  };
  writeInfo(files.info, info);
  return { dir, policy, files, socket, server };
}

describe("info file pointing outside the socket directory (seed §5.1)", () => {
  it.each([
    ["another directory", (_dir: string, root: string) => newSocketPath(join(root, "elsewhere"))],
    ["a subdirectory of ours", (dir: string) => newSocketPath(join(dir, "sub"))],
    ["a sibling through ..", (dir: string) => join(dir, "..", "0123456789abcdef.sock")],
    ["a name ccmux never makes, inside the directory", (dir: string) => join(dir, "daemon.sock")],
  ])("%s: refused, not stale, and the server there gets no connection", async (_, socketFor) => {
    const { dir, policy, socket, server } = await infoNaming(socketFor);
    const verdict = await verifyDaemon(dir, policy.path);
    expect(verdict).toMatchObject({ ok: false, stale: false });
    if (!verdict.ok) expect(verdict.reason).toContain("not a ccmux socket inside");
    expect(await connectionsBefore(server, socket)).toBe(0);
  });

  it("an info file recorded for another policy file is refused", async () => {
    const { dir, policy, files } = await infoNaming((dir) => newSocketPath(dir));
    const other = join(base, "other.json");
    writeFileSync(other, "{}");
    const info = JSON.parse(readFileSync(files.info, "utf8")) as DaemonInfo;
    writeInfo(files.info, { ...info, policy: other });
    const verdict = await verifyDaemon(dir, policy.path);
    expect(verdict).toMatchObject({ ok: false, stale: false });
    if (!verdict.ok) expect(verdict.reason).toContain(`is for ${other}`);
  });
});
