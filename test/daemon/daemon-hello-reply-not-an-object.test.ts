import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { askDaemon } from "../../src/cli/daemon-client.js";
import { cleanup, privateDir } from "./daemon-test-kit.js";

// An attack review: a daemon (or whatever answered as one) replying `null` to the hello crashed the bridge on
// `reply.ok`. Any answer that is not a reply object is an error the caller reports.
let base: string;
let server: Server | undefined;
afterEach(() => {
  server?.close();
  cleanup(base);
});

it.each(["null", "42", '"ok"', "[true]", "{}", '{"ok":"yes"}'])(
  "a hello answered with %s is refused, not a crash",
  async (answer) => {
    base = privateDir();
    const path = join(base, "s.sock");
    server = createServer((peer) => peer.once("data", () => peer.write(`${answer}\n`)));
    await new Promise<void>((ready) => server?.listen(path, ready));
    const socket = connect(path);
    await new Promise<void>((ready) => socket.once("connect", ready));
    await expect(askDaemon(socket, { ccmux: 1, op: "connect", session: "s" })).rejects.toThrow(
      "not a reply object",
    );
    socket.destroy();
  },
);
