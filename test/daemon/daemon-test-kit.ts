import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type DaemonFiles, daemonFiles } from "../../src/daemon/daemon-files.js";
import { DaemonLock } from "../../src/daemon/daemon-lock.js";
import type { DaemonInfo } from "../../src/daemon/info-file.js";
import { writeInfo } from "../../src/daemon/info-file-write.js";
import { policyHash } from "../../src/daemon/policy-hash.js";
import { ensureSocketDir } from "../../src/daemon/runtime-dir.js";
import { listenPrivate, newSocketPath } from "../../src/daemon/socket-listen.js";

/** The stand-in daemon / planted server (test/fixtures/unix-socket-server.mjs). */
export const SOCKET_SERVER = resolve(import.meta.dirname, "../fixtures/unix-socket-server.mjs");
export const IS_ROOT = process.getuid?.() === 0;
export const NOT_ROOT_REASON =
  "needs root: only root can create files owned by another uid or run a client as nobody";

/** A fresh 0700 directory (mkdtemp) under `base` (default os.tmpdir()); remove it with `cleanup`. */
export function privateDir(base = tmpdir()): string {
  return mkdtempSync(join(base, "ccmux-daemon-test-"));
}

export function cleanup(...paths: string[]): void {
  for (const path of paths) rmSync(path, { recursive: true, force: true });
}

/** A child process with its stdout collected, waited on by condition. */
export interface Child {
  process: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves when stdout contains `text` (rejects if the child exits first). */
  waitFor(text: string | RegExp): Promise<string>;
  /** SIGKILL, resolved after the child is reaped (its locks and descriptors are gone). */
  kill9(): Promise<void>;
  exited: Promise<number | null>;
}

/** Spawns `command args`, collecting stdout; stdin stays open (the fixture exits when it closes). */
export function start(command: string, args: string[], options: { cwd?: string } = {}): Child {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"], cwd: options.cwd });
  let stdout = "";
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    stdout += chunk;
    for (const wake of waiters) wake();
  });
  const exited = new Promise<number | null>((settle) => child.once("exit", (code) => settle(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const wake of waiters) wake();
  });
  if (child.pid === undefined) throw new Error(`${command} did not start`);
  return {
    process: child,
    pid: child.pid,
    output: () => stdout,
    waitFor(text) {
      return new Promise((settle, fail) => {
        const check = () => {
          const match = typeof text === "string" ? stdout.includes(text) : text.exec(stdout);
          if (match) {
            waiters.delete(check);
            settle(typeof match === "boolean" ? text.toString() : match[0]);
          } else if (gone) {
            waiters.delete(check);
            fail(new Error(`${command} exited before printing ${text}; it printed: ${stdout}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async kill9() {
      if (!gone) child.kill("SIGKILL");
      await exited;
    },
    exited,
  };
}

/** Creates `lock` as a daemon does (0600) if missing: flock(1) would create it 0644 under the usual umask. */
export function lockFileAsDaemonMakesIt(lock: string): void {
  writeFileSync(lock, "", { mode: 0o600, flag: "a" });
}

/** A process holding flock on `lock` (flock -F: the lock is taken and held by this very pid). */
export async function holdLock(lock: string): Promise<Child> {
  lockFileAsDaemonMakesIt(lock);
  const child = start("flock", ["-n", "-F", lock, "sh", "-c", "echo locked; exec sleep 1000"]);
  await child.waitFor("locked");
  return child;
}

/** The fixture server on `socket`, alone (a planted server) or holding `lock` (a stand-in daemon). */
export async function serveSocket(socket: string, lock?: string): Promise<Child> {
  if (lock) lockFileAsDaemonMakesIt(lock);
  const child = lock
    ? start("flock", ["-n", "-F", lock, process.execPath, SOCKET_SERVER, socket])
    : start(process.execPath, [SOCKET_SERVER, socket]);
  await child.waitFor(`listening ${child.pid}`);
  return child;
}

/**
 * How many connections `server` had accepted before ours: connects, sends a fresh marker, waits until the server
 * reports that line and returns its connection number minus one. Accepts are served in order, so any earlier
 * connection (the one the test says never happened) has been counted by then.
 */
export async function connectionsBefore(server: Child, socket: string): Promise<number> {
  const client = connect(socket);
  await new Promise<void>((settle, fail) => {
    client.once("connect", settle);
    client.once("error", fail);
  });
  const marker = `control-${randomBytes(4).toString("hex")}`;
  client.write(`${marker}\n`);
  const line = await server.waitFor(new RegExp(`data (\\d+) ${marker}\n`));
  client.destroy();
  return Number(/data (\d+)/.exec(line)?.[1]) - 1;
}

/** A policy file in `base` and its sha256, as a daemon records it. */
export function policyFile(base: string, text = '{"commands": []}\n'): { path: string; hash: string } {
  const path = join(base, "policy.json");
  writeFileSync(path, text);
  return { path, hash: policyHash(Buffer.from(text)) };
}

/** An in-process daemon, set up as the real one must be: directory, lock, private socket, info file. */
export interface HonestDaemon {
  dir: string;
  files: DaemonFiles;
  info: DaemonInfo;
  server: Server;
  lock: DaemonLock;
  /** Connections the server has accepted, in order. */
  accepted: Socket[];
  close(): Promise<void>;
}

export async function honestDaemon(
  dir: string,
  policy: { path: string; hash: string },
): Promise<HonestDaemon> {
  ensureSocketDir(dir);
  const files = daemonFiles(dir, policy.path);
  const lock = DaemonLock.acquire(files.lock);
  if (!lock) throw new Error("the test daemon's lock is taken");
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    accepted.push(socket);
    socket.on("error", () => {});
  });
  const socket = newSocketPath(dir);
  await listenPrivate(server, socket);
  const info: DaemonInfo = {
    version: 1,
    policy: realpathSync(policy.path),
    policyHash: policy.hash,
    socket,
    pid: process.pid,
    started: new Date().toISOString(),
    ccmux: "0.1.0",
  };
  writeInfo(files.info, info);
  return {
    dir,
    files,
    info,
    server,
    lock,
    accepted,
    async close() {
      for (const connection of accepted) connection.destroy();
      await new Promise<void>((settle) => server.close(() => settle()));
      lock.release();
    },
  };
}

/**
 * connectionsBefore for the in-process daemon: connects, sends a marker, and returns the index of the accepted
 * connection that received it (the number accepted before ours).
 */
export async function honestConnectionsBefore(daemon: HonestDaemon): Promise<number> {
  const marker = `control-${randomBytes(4).toString("hex")}`;
  const index = new Promise<number>((settle) => {
    const watch = (socket: Socket) =>
      socket.on("data", (chunk) => {
        if (chunk.toString().includes(marker)) {
          daemon.server.off("connection", watch);
          settle(daemon.accepted.indexOf(socket));
        }
      });
    for (const socket of daemon.accepted) watch(socket);
    daemon.server.on("connection", watch);
  });
  const client = connect(daemon.info.socket);
  client.on("error", () => {});
  client.write(`${marker}\n`);
  const before = await index;
  client.destroy();
  return before;
}
