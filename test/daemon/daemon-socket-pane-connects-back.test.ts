import { createServer, type Server, type Socket } from "node:net";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkPeer, type PeerCheckOptions, type PeerVerdict } from "../../src/daemon/peer-check.js";
import { isDescendant, parentPid } from "../../src/daemon/process-ancestry.js";
import { listenPrivate, newSocketPath } from "../../src/daemon/socket-listen.js";
import { type Child, cleanup, privateDir, start } from "./daemon-test-kit.js";

let base: string;
let server: Server | undefined;
const accepted: Socket[] = [];
const children: Child[] = [];
const orphans: number[] = [];
afterEach(async () => {
  for (const pid of orphans.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  for (const child of children.splice(0)) await child.kill9();
  for (const socket of accepted.splice(0)) socket.destroy();
  if (server) await new Promise<void>((settle) => server?.close(() => settle()));
  server = undefined;
  cleanup(base);
});

/** This test process plays the daemon: the first connection's verdict under `options`. */
async function daemonJudging(
  options: PeerCheckOptions,
): Promise<{ socket: string; verdict: Promise<PeerVerdict> }> {
  base = privateDir();
  const socket = newSocketPath(base);
  let judged: (verdict: PeerVerdict) => void = () => {};
  const verdict = new Promise<PeerVerdict>((settle) => {
    judged = settle;
  });
  server = createServer((connection) => {
    accepted.push(connection);
    connection.on("error", () => {});
    judged(checkPeer(connection, process.getuid?.(), options));
  });
  await listenPrivate(server, socket);
  return { socket, verdict };
}

const CONNECT = `require("net").connect(process.argv[1]).on("error", () => {}); process.stdin.resume();`;

const ORPHAN = resolve(import.meta.dirname, "../fixtures/orphan-connect.mjs");

describe("a pane connecting back to its own daemon", () => {
  it("a process the daemon started (a pane's shell and its child) is refused with refuseDescendantsOf", async () => {
    const { socket, verdict } = await daemonJudging({ refuseDescendantsOf: process.pid });
    const pane = start("sh", ["-c", `${JSON.stringify(process.execPath)} -e '${CONNECT}' ${socket} & wait`]);
    children.push(pane);
    const result = await verdict;
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(`below pid ${process.pid}`);
    expect(parentPid(result.peer?.pid as number)).toBe(pane.pid);
  });

  it("control: without the option the same process is accepted (the attack works)", async () => {
    const { socket, verdict } = await daemonJudging({});
    const pane = start(process.execPath, ["-e", CONNECT, socket]);
    children.push(pane);
    expect(await verdict).toMatchObject({ ok: true, peer: { pid: pane.pid } });
  });

  it("control: a process outside the daemon's tree (an orphan adopted elsewhere) is accepted with the option", async () => {
    const { socket, verdict } = await daemonJudging({ refuseDescendantsOf: process.pid });
    const launcher = start(process.execPath, [ORPHAN, "launch", socket]);
    const pid = Number(/orphan (\d+)/.exec(await launcher.waitFor(/orphan \d+/))?.[1]);
    orphans.push(pid);
    await launcher.exited;
    const result = await verdict;
    expect(result).toMatchObject({ ok: true, peer: { pid } });
    expect(isDescendant(pid, process.pid)).toBe(false);
  });

  it("isDescendant follows parent pids: this process is below its parent, not the other way", () => {
    expect(isDescendant(process.pid, process.ppid)).toBe(true);
    expect(isDescendant(process.ppid, process.pid)).toBe(false);
    expect(isDescendant(process.pid, process.pid)).toBe(true);
    expect(parentPid(process.pid)).toBe(process.ppid);
  });
});
