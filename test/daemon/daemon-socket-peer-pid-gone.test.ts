import { existsSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { checkPeer } from "../../src/daemon/peer-check.js";
import { listenPrivate, newSocketPath } from "../../src/daemon/socket-listen.js";
import { cleanup, privateDir, start } from "./daemon-test-kit.js";

let base: string;
let server: Server | undefined;
const accepted: Socket[] = [];
const orphans: number[] = [];
afterEach(async () => {
  for (const pid of orphans.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  for (const socket of accepted.splice(0)) socket.destroy();
  if (server) await new Promise<void>((settle) => server?.close(() => settle()));
  server = undefined;
  cleanup(base);
});

// Connects to argv[1], hands the connection to a detached `sleep` (its fd 3), prints the sleep's pid and exits:
// the connection lives on in a process that never called connect().
const HAND_OFF = `const net = require("net"), cp = require("child_process");
const c = net.connect(process.argv[1], () => {
  const keeper = cp.spawn("sleep", ["1000"], { stdio: ["ignore", "ignore", "ignore", c], detached: true });
  keeper.unref();
  console.log("keeper " + keeper.pid);
  process.exit(0);
});`;

describe("peer whose connecting process has exited (seed §5.2)", () => {
  it("a connection handed to another process after its opener exited is refused (its SO_PEERCRED pid is gone)", async () => {
    base = privateDir();
    const socket = newSocketPath(base);
    const connections: Socket[] = [];
    let arrived: () => void = () => {};
    const first = new Promise<void>((settle) => {
      arrived = settle;
    });
    server = createServer((connection) => {
      accepted.push(connection);
      connection.on("error", () => {});
      connections.push(connection);
      arrived();
    });
    await listenPrivate(server, socket);
    const opener = start(process.execPath, ["-e", HAND_OFF, socket]);
    const keeper = Number(/keeper (\d+)/.exec(await opener.waitFor(/keeper \d+/))?.[1]);
    orphans.push(keeper);
    await opener.exited;
    await first;
    expect(existsSync(`/proc/${opener.pid}`)).toBe(false);
    expect(existsSync(`/proc/${keeper}`)).toBe(true);
    const verdict = checkPeer(connections[0] as Socket);
    expect(verdict).toMatchObject({ ok: false, peer: { pid: opener.pid } });
    if (!verdict.ok) expect(verdict.reason).toContain(`(pid ${opener.pid}) no longer exists`);
  });

  it("control: while the opener is alive the same connection is accepted", async () => {
    base = privateDir();
    const socket = newSocketPath(base);
    let judged: (ok: boolean) => void = () => {};
    const verdict = new Promise<boolean>((settle) => {
      judged = settle;
    });
    server = createServer((connection) => {
      accepted.push(connection);
      connection.on("error", () => {});
      judged(checkPeer(connection).ok);
    });
    await listenPrivate(server, socket);
    const client = start(process.execPath, [
      "-e",
      `require("net").connect(process.argv[1]); process.stdin.resume()`,
      socket,
    ]);
    try {
      expect(await verdict).toBe(true);
    } finally {
      await client.kill9();
    }
  });
});
