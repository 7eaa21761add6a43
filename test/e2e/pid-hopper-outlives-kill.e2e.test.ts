import { spawnSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixturePath } from "../support/fixture-path.js";
import { eventually, giveToPanes } from "../support/mcp-harness.js";
import {
  SIGNAL_SERVERS,
  type SignalWorkspace,
  serveSignalWorkspace,
  spawnReady,
} from "../support/signal-servers.js";

/**
 * An attack review: in an unsandboxed pane, a process that leaves its session and then forks and exits at every
 * step gets a new pid every millisecond. Every SIGKILL by pid found its pid gone, and a look at /proc mostly missed
 * it, so it outlived kill_pane, the process limit and the server's exit. Its process group stays (ended now by a
 * signal to the group); one that leaves its session at every step has no lasting group either, and ends when no
 * pane is left (the server kills what it adopted, from its children list). In the sandbox the PID namespace ends
 * everything with the pane; these run where it does not.
 *
 * Proof that every step is gone: each holds the flock the first one took (fork shares it), so the lock is free
 * exactly when none is alive. The hopper ends itself after HOPPER_SECONDS, so a failing test leaves nothing behind.
 */
const HOPPER_SECONDS = 45;
/** How long the lock may stay held after the kill: the kill sweep is 250 ms apart at worst, the rest is load. */
const GONE_WITHIN_MS = 15_000;

const POLICY = {
  commands: [
    { command: "python3", args: ["-i", "{path} **"], input: "raw" },
    { command: "bash", args: ["--norc --noprofile"], input: "raw" },
  ],
  limits: { maxProcesses: 64 },
};

/** True when no process holds the lock on `path`. */
function lockFree(path: string): boolean {
  return spawnSync("flock", ["--nonblock", "--shared", path, "true"]).status === 0;
}

const UNSANDBOXED = SIGNAL_SERVERS.filter((server) => server.mode === "off");

describe.each(UNSANDBOXED)("a process that takes a new pid at every step ($label)", (server) => {
  let env: SignalWorkspace | undefined;
  let lock = "";
  afterEach(async () => {
    await env?.mcp.close();
    // Never leave it running, whatever failed: it ends itself within HOPPER_SECONDS.
    if (lock !== "") await eventually(() => lockFree(lock), (HOPPER_SECONDS + 10) * 1000);
    env?.ws.cleanup();
    env = undefined;
    lock = "";
  });

  /** A server, a bystander shell pane (unless `alone`), and a pane whose hopper (`once` or `every`) runs. */
  async function hopping(
    mode: "once" | "every",
    alone = false,
  ): Promise<{ pane: string; bystander?: string }> {
    env = await serveSignalWorkspace(server, POLICY);
    const hopper = join(env.ws.root, "pid-hopper.py");
    copyFileSync(fixturePath("pid-hopper.py"), hopper);
    giveToPanes(hopper);
    lock = join(env.ws.root, `hopper-${mode}.lock`);
    const bystander = alone ? undefined : await spawnReady(env.mcp, server, "bash --norc --noprofile", "$");
    const { pane } = await spawnReady(
      env.mcp,
      server,
      `python3 ${hopper} ${mode} ${lock} ${HOPPER_SECONDS}`,
      "HOPPING",
    );
    expect(lockFree(lock), "the hopper holds its lock").toBe(false);
    return { pane, ...(bystander ? { bystander: bystander.pane } : {}) };
  }

  it("one that left its session once: kill_pane ends it, beside another unsandboxed pane that lives on", async () => {
    const { pane, bystander = "" } = await hopping("once");
    await env?.mcp.ok("kill_pane", { pane });
    await eventually(() => lockFree(lock), GONE_WITHIN_MS);
    await env?.mcp.ok("send_keys", { pane: bystander, text: "echo ALIVE-$((40+2))", submit: true });
    const waited = await env?.mcp.ok<{ matched: boolean }>("wait_for", { pane: bystander, text: "ALIVE-42" });
    expect(waited?.matched).toBe(true);
  });

  it("one that left its session once: the server's exit ends it", async () => {
    await hopping("once");
    await env?.mcp.close();
    await eventually(() => lockFree(lock), GONE_WITHIN_MS);
  });

  it("one that leaves its session at every step: the server's exit ends it", async () => {
    await hopping("every");
    await env?.mcp.close();
    await eventually(() => lockFree(lock), GONE_WITHIN_MS);
  });

  it("one that leaves its session at every step, in the only unsandboxed pane: kill_pane ends it", async () => {
    const { pane } = await hopping("every", true);
    await env?.mcp.ok("kill_pane", { pane });
    await eventually(() => lockFree(lock), GONE_WITHIN_MS);
  });

  it("one that leaves its session at every step, beside another pane: killing the last pane ends it", async () => {
    const { pane, bystander = "" } = await hopping("every");
    await env?.mcp.ok("kill_pane", { pane: bystander });
    await env?.mcp.ok("kill_pane", { pane });
    await eventually(() => lockFree(lock), GONE_WITHIN_MS);
  });
});
