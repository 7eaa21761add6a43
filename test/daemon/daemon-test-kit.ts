import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

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

/** A process holding flock on `lock` (flock -F: the lock is taken and held by this very pid). */
export async function holdLock(lock: string): Promise<Child> {
  const child = start("flock", ["-n", "-F", lock, "sh", "-c", "echo locked; exec sleep 1000"]);
  await child.waitFor("locked");
  return child;
}

/** The fixture server on `socket`, alone (a planted server) or holding `lock` (a stand-in daemon). */
export async function serveSocket(socket: string, lock?: string): Promise<Child> {
  const child = lock
    ? start("flock", ["-n", "-F", lock, process.execPath, SOCKET_SERVER, socket])
    : start(process.execPath, [SOCKET_SERVER, socket]);
  await child.waitFor(`listening ${child.pid}`);
  return child;
}

/**
 * How many connections `server` had accepted before ours: connects, sends "control", waits until the server
 * reports that line and returns its connection number minus one. Accepts are served in order, so any earlier
 * connection (the one the test says never happened) has been counted by then.
 */
export async function connectionsBefore(server: Child, socket: string): Promise<number> {
  const client = connect(socket);
  await new Promise<void>((settle, fail) => {
    client.once("connect", settle);
    client.once("error", fail);
  });
  client.write("control\n");
  const line = await server.waitFor(/data (\d+) control\n/);
  client.destroy();
  return Number(/data (\d+)/.exec(line)?.[1]) - 1;
}
