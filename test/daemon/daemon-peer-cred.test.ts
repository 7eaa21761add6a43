import { closeSync, openSync } from "node:fs";
import { createServer, type Server, Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkPeer } from "../../src/daemon/peer-check.js";
import { peerCredentials, socketFd } from "../../src/daemon/socket-fd.js";
import { addon } from "../../src/native/addon.js";
import { cleanup, privateDir } from "./daemon-test-kit.js";

let base: string;
let server: Server | undefined;
afterEach(async () => {
  if (server) await new Promise<void>((done) => server?.close(() => done()));
  server = undefined;
  cleanup(base);
});

describe("SO_PEERCRED (native peerCred)", () => {
  it("both ends of a real Unix connection see this process's pid, uid and gid", async () => {
    base = privateDir();
    const path = join(base, "s.sock");
    let accepted: Socket | undefined;
    const arrived = new Promise<void>((settle) => {
      server = createServer((socket) => {
        accepted = socket;
        settle();
      });
      server.listen(path);
    });
    const client = new Socket();
    await new Promise<void>((settle) => client.connect(path, settle));
    await arrived;
    const me = { pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() };
    expect(peerCredentials(client)).toEqual(me);
    expect(peerCredentials(accepted as Socket)).toEqual(me);
    client.destroy();
    accepted?.destroy();
  });

  it("a descriptor that is not a socket throws with errno (ENOTSOCK)", () => {
    base = privateDir();
    const fd = openSync(join(base, "f"), "w");
    try {
      expect(() => addon.peerCred(fd)).toThrow(/SO_PEERCRED on fd \d+ failed: .*\(errno 88\)/);
    } finally {
      closeSync(fd);
    }
    expect(() => addon.peerCred(-1)).toThrow(TypeError);
  });

  it("a socket with no descriptor (never connected) throws, and checkPeer refuses it instead of throwing", () => {
    const socket = new Socket();
    expect(() => socketFd(socket)).toThrow(/no file descriptor/);
    expect(checkPeer(socket)).toMatchObject({ ok: false, reason: expect.stringContaining("cannot be read") });
  });
});
