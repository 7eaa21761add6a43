import { chmodSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { checkPeer, type PeerVerdict } from "../../src/daemon/peer-check.js";
import { listenPrivate, newSocketPath } from "../../src/daemon/socket-listen.js";
import { type Child, cleanup, IS_ROOT, NOT_ROOT_REASON, privateDir, start } from "./daemon-test-kit.js";

let base: string;
let server: Server | undefined;
const children: Child[] = [];
const accepted: Socket[] = [];
afterEach(async () => {
  for (const socket of accepted.splice(0)) socket.destroy();
  for (const child of children.splice(0)) await child.kill9();
  if (server) await new Promise<void>((settle) => server?.close(() => settle()));
  server = undefined;
  cleanup(base);
});

// The client: connects to argv[1] and prints "connected" or "error CODE"; stays until its stdin closes.
const CLIENT = `const c = require("net").connect(process.argv[1]);
c.on("connect", () => console.log("connected"));
c.on("error", (e) => console.log("error " + e.code));
process.stdin.on("end", () => process.exit(0)); process.stdin.resume();`;

/** Runs the client as nobody (65534, no groups) against `socket`. */
function clientAsNobody(socket: string): Child {
  const child = start(
    "setpriv",
    ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", CLIENT, socket],
    {
      cwd: "/",
    },
  );
  children.push(child);
  return child;
}

/** A server whose connections are judged by checkPeer; resolves each verdict in accept order. */
function judgingServer(): { server: Server; next(): Promise<PeerVerdict> } {
  const waiting: ((verdict: PeerVerdict) => void)[] = [];
  let seen = 0;
  const judged = createServer((socket) => {
    accepted.push(socket);
    socket.on("error", () => {});
    const verdict = checkPeer(socket);
    if (!verdict.ok) socket.destroy();
    const wake = waiting[seen++];
    wake?.(verdict);
  });
  return {
    server: judged,
    next: () => new Promise<PeerVerdict>((settle) => waiting.push(settle)),
  };
}

describe("peer of another uid (seed §5.2)", () => {
  it.skipIf(!IS_ROOT)(
    `a client running as nobody reaches the socket and checkPeer refuses uid 65534 (${NOT_ROOT_REASON})`,
    async () => {
      base = privateDir();
      chmodSync(base, 0o711); // just for this test: nobody may pass through to the socket
      const socket = newSocketPath(base);
      const judge = judgingServer();
      server = judge.server;
      await new Promise<void>((settle) => server?.listen(socket, settle));
      chmodSync(socket, 0o666);
      const first = judge.next();
      const client = clientAsNobody(socket);
      const verdict = await first;
      expect(verdict.ok).toBe(false);
      if (verdict.ok) return;
      expect(verdict.peer).toMatchObject({ uid: 65534, gid: 65534, pid: client.pid });
      expect(verdict.reason).toContain("runs as uid 65534");
    },
  );

  it("control: the same server accepts a client of our own uid", async () => {
    base = privateDir();
    const socket = newSocketPath(base);
    const judge = judgingServer();
    server = judge.server;
    await new Promise<void>((settle) => server?.listen(socket, settle));
    const first = judge.next();
    const client = start(process.execPath, ["-e", CLIENT, socket]);
    children.push(client);
    const verdict = await first;
    expect(verdict).toMatchObject({ ok: true, peer: { uid: process.getuid?.(), pid: client.pid } });
  });

  it.skipIf(!IS_ROOT)(
    `nobody cannot even connect to a listenPrivate socket, the directory being passable (${NOT_ROOT_REASON})`,
    async () => {
      base = privateDir();
      chmodSync(base, 0o711);
      const socket = newSocketPath(base);
      const judge = judgingServer();
      server = judge.server;
      await listenPrivate(server, socket);
      const client = clientAsNobody(socket);
      expect(await client.waitFor(/error \w+/)).toBe("error EACCES");
    },
  );
});
