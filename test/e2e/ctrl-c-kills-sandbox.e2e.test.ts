import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  busyFor,
  paneEnd,
  SIGNAL_SERVERS,
  type SignalWorkspace,
  serveSignalWorkspace,
  spawnReady,
} from "../support/signal-servers.js";

// Issue 10, item 1: in the sandbox a C-c reached bwrap, which died and took the program with it, and bwrap
// reported a program killed by signal N as exit code 128+N. Every case runs sandboxed and unsandboxed (and, under
// root, with the server as an unprivileged user): the program must see and report the same in all of them.
describe.each(SIGNAL_SERVERS)("terminal signals reach the program ($label)", (server) => {
  let env: SignalWorkspace;
  beforeAll(async () => {
    env = await serveSignalWorkspace(server);
  });
  afterAll(async () => {
    await env?.mcp.close();
    env?.ws.cleanup();
  });

  it("python3 -i: C-c interrupts `while True: pass` with KeyboardInterrupt and x is still 42", async () => {
    const { mcp } = env;
    const { pane, pid } = await spawnReady(mcp, server, "python3 -i", ">>>");
    await mcp.ok("send_keys", { pane, text: "x = 42", submit: true });
    await mcp.ok("send_keys", { pane, text: "while True: pass", submit: true });
    await mcp.ok("send_keys", { pane, keys: ["Enter"] });
    await busyFor(pid, "python3", 20);
    await mcp.ok("send_keys", { pane, keys: ["C-c"] });
    const interrupted = await mcp.ok<{ matched: boolean }>("wait_for", {
      pane,
      text: "KeyboardInterrupt",
      timeout_ms: 20_000,
    });
    expect(interrupted.matched).toBe(true);
    await mcp.ok("send_keys", { pane, text: "print(x)", submit: true });
    const printed = await mcp.ok<{ matched: boolean; alive: boolean }>("wait_for", {
      pane,
      regex: "(?m)^42$",
      timeout_ms: 20_000,
    });
    expect(printed).toMatchObject({ matched: true, alive: true });
    await mcp.ok("kill_pane", { pane, signal: "SIGKILL" });
  });

  it.each([0, 130])("a SIGINT handler that tidies up for a second finishes and exits %i", async (code) => {
    const { mcp, probe } = env;
    const { pane } = await spawnReady(mcp, server, `python3 ${probe} tidy ${code}`);
    await mcp.ok("send_keys", { pane, keys: ["C-c"] });
    const end = await paneEnd(mcp, pane);
    expect(end.text).toContain("TIDYING");
    expect(end.text).toContain("TIDIED");
    expect({ exitCode: end.exitCode, signal: end.signal }).toEqual({ exitCode: code, signal: null });
    await mcp.ok("kill_pane", { pane });
  });

  it("a program that keeps SIGINT's default action dies of C-c: signal 2, not exit code 130", async () => {
    const { mcp, probe } = env;
    const { pane } = await spawnReady(mcp, server, `python3 ${probe} default`);
    await mcp.ok("send_keys", { pane, keys: ["C-c"] });
    expect(await paneEnd(mcp, pane)).toMatchObject({ exitCode: null, signal: 2 });
    await mcp.ok("kill_pane", { pane });
  });

  it("C-\\ ends a program with SIGQUIT: signal 3", async () => {
    const { mcp, probe } = env;
    const { pane } = await spawnReady(mcp, server, `python3 ${probe} echo`);
    await mcp.ok("send_keys", { pane, keys: ["C-\\"] });
    expect(await paneEnd(mcp, pane)).toMatchObject({ exitCode: null, signal: 3 });
    await mcp.ok("kill_pane", { pane });
  });

  it("C-z does not stop a program that is not a shell (its process group is orphaned): it still answers", async () => {
    const { mcp, probe } = env;
    const { pane } = await spawnReady(mcp, server, `python3 ${probe} echo`);
    await mcp.ok("send_keys", { pane, keys: ["C-z"] });
    await mcp.ok("send_keys", { pane, text: "ping", submit: true });
    const answered = await mcp.ok<{ matched: boolean; alive: boolean }>("wait_for", {
      pane,
      text: "GOT ping",
      timeout_ms: 20_000,
    });
    expect(answered).toMatchObject({ matched: true, alive: true });
    await mcp.ok("kill_pane", { pane, signal: "SIGKILL" });
  });
});

// The same fault's other half: any death by a signal, and exit codes above 128 the program chose itself.
describe.each(SIGNAL_SERVERS)("a program's own end is what the agent sees ($label)", (server) => {
  let env: SignalWorkspace;
  beforeAll(async () => {
    env = await serveSignalWorkspace(server);
  });
  afterAll(async () => {
    await env?.mcp.close();
    env?.ws.cleanup();
  });

  it.each([
    ["SEGV", 11],
    ["KILL", 9],
    ["TERM", 15],
  ])("kill -%s of itself reports signal %i, not 128+N", async (name, number) => {
    const { mcp, probe } = env;
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `python3 ${probe} raise ${name}` });
    expect(await paneEnd(mcp, pane)).toMatchObject({ exitCode: null, signal: number });
    await mcp.ok("kill_pane", { pane });
  });

  it.each([0, 1, 130, 139, 255])("exit code %i comes through unchanged", async (code) => {
    const { mcp, probe } = env;
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `python3 ${probe} exit ${code}` });
    expect(await paneEnd(mcp, pane)).toMatchObject({ exitCode: code, signal: null });
    await mcp.ok("kill_pane", { pane });
  });
});
