import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/mcp-harness.js";
import {
  descendantsWith,
  SIGNAL_SERVERS,
  type SignalWorkspace,
  serveSignalWorkspace,
  spawnReady,
} from "../support/signal-servers.js";

/**
 * kill_pane on a shell at its prompt: the shell ignores SIGTERM, so the pane waited out the whole grace and died of
 * SIGKILL (losing its history, 2 s later). Closing a terminal hangs it up, and so does tmux's kill-pane: when what
 * is in front ignores the signal, ccmux now sends SIGHUP instead. How each pane ended is the proof (the signal that
 * ended it: 1 for the hang-up, 9 for SIGKILL after the grace), not a clock.
 */
interface Killed {
  alive: boolean;
  exitCode: number | null;
  signal: number | null;
}

const SHELL_RULES = {
  commands: [
    { command: "python3", args: ["-i", "{path} **"], input: "raw" },
    { command: "bash", args: ["--norc --noprofile"], input: "raw" },
  ],
};

describe.each(SIGNAL_SERVERS)("kill_pane hangs up what ignores its signal ($label)", (server) => {
  let env: SignalWorkspace;
  beforeAll(async () => {
    env = await serveSignalWorkspace(server, SHELL_RULES);
  });
  afterAll(async () => {
    await env?.mcp.close();
    env?.ws.cleanup();
  });

  /** A bash at its prompt, its prompt on screen. */
  async function shell(): Promise<{ pane: string; pid: number }> {
    return spawnReady(env.mcp, server, "bash --norc --noprofile", "$");
  }

  it("a shell at its prompt, killed with the default SIGTERM, is hung up as closing its terminal would", async () => {
    const { pane } = await shell();
    const killed = await env.mcp.ok<Killed>("kill_pane", { pane });
    expect(killed).toMatchObject({ alive: false, exitCode: null, signal: 1 });
  });

  it("a shell whose job in front ends on the SIGTERM is hung up once back at its prompt", async () => {
    const { pane, pid } = await shell();
    await env.mcp.ok("send_keys", { pane, text: "sleep 600; echo after-sleep", submit: true });
    // bash hands the terminal to the job's group before the job runs its program.
    await eventually(() => descendantsWith(pid, "sleep 600").length === 1);
    const killed = await env.mcp.ok<Killed>("kill_pane", { pane });
    expect(killed).toMatchObject({ alive: false, exitCode: null, signal: 1 });
  });

  it("a program that ignores SIGTERM is hung up; one that ignores SIGHUP too gets SIGKILL after the grace", async () => {
    const { mcp, probe } = env;
    const deaf = await spawnReady(mcp, server, `python3 ${probe} ignore TERM`);
    expect(await mcp.ok<Killed>("kill_pane", { pane: deaf.pane })).toMatchObject({
      exitCode: null,
      signal: 1,
    });
    const deafer = await spawnReady(mcp, server, `python3 ${probe} ignore TERM HUP`);
    expect(await mcp.ok<Killed>("kill_pane", { pane: deafer.pane })).toMatchObject({
      exitCode: null,
      signal: 9,
    });
  });

  it("a program that catches SIGTERM gets SIGTERM, not a hang-up", async () => {
    const { mcp, probe } = env;
    // `echo` keeps the default actions: SIGTERM ends it (15). The existing signal tests cover catching programs.
    const { pane } = await spawnReady(mcp, server, `python3 ${probe} echo`);
    expect(await mcp.ok<Killed>("kill_pane", { pane })).toMatchObject({ exitCode: null, signal: 15 });
  });
});
