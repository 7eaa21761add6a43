import { chownSync, existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listenPrivate, newSocketPath, removeStaleSocket } from "../../src/daemon/socket-listen.js";
import { cleanup, IS_ROOT, NOT_ROOT_REASON, privateDir, serveSocket } from "./daemon-test-kit.js";

let base: string;
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((settle) => server.close(() => settle()));
  cleanup(base);
});

describe("a daemon socket other users could connect to (seed §5.1)", () => {
  it("under a permissive umask (000) the socket is still 0600 and ours, and the umask is restored", async () => {
    base = privateDir();
    const socket = newSocketPath(base);
    const server = createServer();
    servers.push(server);
    const previous = process.umask(0);
    try {
      await listenPrivate(server, socket);
      expect(process.umask(0)).toBe(0); // restored (reading it means setting it)
    } finally {
      process.umask(previous);
    }
    const st = lstatSync(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.getuid?.());
  });

  it("the socket is never connectable by others, not even between bind and chmod (it is born 0700 under umask 077)", async () => {
    base = privateDir();
    const socket = newSocketPath(base);
    const server = createServer();
    servers.push(server);
    let bornMode = -1;
    server.once("listening", () => {
      bornMode = lstatSync(socket).mode & 0o777; // runs before listenPrivate's chmod
    });
    const previous = process.umask(0o022);
    try {
      await listenPrivate(server, socket);
    } finally {
      process.umask(previous);
    }
    expect(bornMode).toBe(0o700);
  });

  it("control: a plain listen under that umask leaves the socket world-connectable (0777)", async () => {
    base = privateDir();
    const socket = newSocketPath(base);
    const server = createServer();
    servers.push(server);
    const previous = process.umask(0);
    try {
      await new Promise<void>((settle) => server.listen(socket, settle));
    } finally {
      process.umask(previous);
    }
    expect(lstatSync(socket).mode & 0o777).toBe(0o777);
  });

  it("a path longer than a Unix socket can hold is refused with a clear error, before binding", async () => {
    base = privateDir();
    const deep = join(base, "d".repeat(100));
    mkdirSync(deep);
    await expect(listenPrivate(createServer(), newSocketPath(deep))).rejects.toThrow(/longer than 107 bytes/);
  });

  it("something already at the path: listen fails (EADDRINUSE), nothing is replaced", async () => {
    base = privateDir();
    const socket = newSocketPath(base);
    writeFileSync(socket, "not a socket");
    await expect(listenPrivate(createServer(), socket)).rejects.toThrow(/EADDRINUSE/);
    expect(lstatSync(socket).isFile()).toBe(true);
  });
});

describe("removeStaleSocket removes only a socket of ours", () => {
  it("a dead daemon's socket is removed", async () => {
    base = privateDir();
    const socket = newSocketPath(base);
    const dead = await serveSocket(socket);
    await dead.kill9();
    expect(existsSync(socket)).toBe(true);
    expect(removeStaleSocket(socket)).toBe(true);
    expect(existsSync(socket)).toBe(false);
    expect(removeStaleSocket(socket)).toBe(false);
  });

  it("a regular file, or a symlink to our socket, is left alone", async () => {
    base = privateDir();
    const file = join(base, "0123456789abcdef.sock");
    writeFileSync(file, "precious");
    expect(removeStaleSocket(file)).toBe(false);
    expect(existsSync(file)).toBe(true);
    const socket = newSocketPath(base);
    const dead = await serveSocket(socket);
    await dead.kill9();
    const link = join(base, "fedcba9876543210.sock");
    symlinkSync(socket, link);
    expect(removeStaleSocket(link)).toBe(false);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(lstatSync(socket).isSocket()).toBe(true);
  });

  it.skipIf(!IS_ROOT)(`another uid's socket is left alone (${NOT_ROOT_REASON})`, async () => {
    base = privateDir();
    const socket = newSocketPath(base);
    const dead = await serveSocket(socket);
    await dead.kill9();
    chownSync(socket, 65534, 65534);
    expect(removeStaleSocket(socket)).toBe(false);
    expect(existsSync(socket)).toBe(true);
  });
});
