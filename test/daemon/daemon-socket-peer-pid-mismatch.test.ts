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

async function setup() {
  base = privateDir();
  const policy = policyFile(base);
  const dir = join(base, "ccmux");
  ensureSocketDir(dir);
  const files = daemonFiles(dir, policy.path);
  const holder = await holdLock(files.lock);
  children.push(holder);
  const socket = newSocketPath(dir);
  const server = await serveSocket(socket);
  children.push(server);
  const write = (pid: number) =>
    writeInfo(files.info, {
      version: 1,
      policy: policy.path,
      policyHash: policy.hash,
      socket,
      pid,
      started: new Date().toISOString(),
      ccmux: "0.1.0",
    } satisfies DaemonInfo);
  return { dir, policy, holder, server, socket, write };
}

describe("socket served by a process other than the lock holder (seed §5.2)", () => {
  it("the info pid holds the lock but another process (same uid, 0600 socket) listens: SO_PEERCRED refuses it", async () => {
    const { dir, policy, holder, server, socket, write } = await setup();
    write(holder.pid);
    const verdict = await verifyDaemon(dir, policy.path);
    expect(verdict).toMatchObject({ ok: false, stale: false });
    if (!verdict.ok)
      expect(verdict.reason).toContain(`is pid ${server.pid}, not the daemon pid ${holder.pid}`);
    // the connection was made (this is the last line of defence, after every file check passed) …
    expect(await connectionsBefore(server, socket)).toBe(1);
  });

  it("the info names the listening pid, but another process holds the lock: refused before connecting", async () => {
    const { dir, policy, holder, server, socket, write } = await setup();
    write(server.pid);
    const verdict = await verifyDaemon(dir, policy.path);
    expect(verdict).toMatchObject({ ok: false, stale: false, retry: true });
    if (!verdict.ok) expect(verdict.reason).toContain(`held by pid ${holder.pid}, not by pid ${server.pid}`);
    expect(await connectionsBefore(server, socket)).toBe(0);
  });
});
