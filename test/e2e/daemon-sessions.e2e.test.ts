import { afterEach, describe, expect, it } from "vitest";
import { processGone, type TestDaemons, testDaemons } from "../support/daemon-harness.js";
import {
  eventually,
  makeWorkspace,
  readAudit,
  type Served,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * Panes that outlive the client (issue 12): `serve --daemon` bridges to the policy's daemon; panes belong to
 * the agent session, not to one connection. Real daemon, real socket, real MCP client over stdio.
 */
const BASH = "bash --norc --noprofile";
const DEV_SERVER =
  'i=0; echo "dev server ready"; while :; do i=$((i+1)); read -r line; echo "served $line"; done';

describe.each([
  ["sandbox.mode: off", "off"],
  ["sandbox.mode: required", "required"],
] as const)("daemon sessions (%s)", (_label, mode) => {
  let ws: TestWorkspace | undefined;
  let daemons: TestDaemons | undefined;
  const clients: Served[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => {});
    await daemons?.stopAll();
    ws?.cleanup();
    ws = undefined;
    daemons = undefined;
  });

  function setup(): TestDaemons {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode },
    });
    daemons = testDaemons(ws);
    return daemons;
  }

  async function connect(session: string): Promise<Served> {
    const client = await (daemons as TestDaemons).connect(session);
    clients.push(client);
    return client;
  }

  async function disconnect(client: Served): Promise<void> {
    clients.splice(clients.indexOf(client), 1);
    await client.close();
  }

  it("a reconnect finds its dev server still running and its `new` cursor where it was", async () => {
    setup();
    const first = await connect("work");
    const { pane } = await first.ok<{ pane: string }>("spawn", { command: BASH });
    await first.ok("send_keys", { pane, text: DEV_SERVER, submit: true, wait: { text: "dev server ready" } });
    await first.ok("send_keys", { pane, text: "one", submit: true, wait: { text: "served one" } });
    const before = await first.ok<{ text: string }>("read_pane", { pane, mode: "new" });
    expect(before.text).toContain("served one");
    await disconnect(first);

    const second = await connect("work");
    const { panes } = await second.ok<{ panes: Array<{ pane: string; alive: boolean }> }>("list_panes");
    expect(panes).toEqual([expect.objectContaining({ pane, alive: true })]);
    await second.ok("send_keys", { pane, text: "two", submit: true, wait: { text: "served two" } });
    const after = await second.ok<{ text: string }>("read_pane", { pane, mode: "new" });
    // The cursor kept its place across the reconnect: only what came after the last read, not "served one".
    expect(after.text).toContain("served two");
    expect(after.text).not.toContain("served one");
    expect(after.text).not.toContain("dev server ready");
  });

  it("two sessions cannot see each other's panes; the audit names the session and the connection", async () => {
    const d = setup();
    const alice = await connect("alice");
    const bob = await connect("bob");
    const { pane } = await alice.ok<{ pane: string }>("spawn", { command: BASH });
    await alice.ok("send_keys", {
      pane,
      text: "echo alice-$((6*7))",
      submit: true,
      wait: { text: "alice-42" },
    });
    expect((await bob.ok<{ panes: unknown[] }>("list_panes")).panes).toEqual([]);
    for (const [tool, args] of [
      ["read_pane", { pane }],
      ["wait_for", { pane, text: "alice", timeout_ms: 100 }],
      ["send_keys", { pane, text: "x" }],
      ["kill_pane", { pane }],
    ] as const) {
      await bob.refused(tool, args, "PANE_NOT_FOUND");
    }
    expect((await alice.ok<{ panes: Array<{ alive: boolean }> }>("list_panes")).panes).toEqual([
      expect.objectContaining({ pane, alive: true }),
    ]);
    const records = readAudit((ws as TestWorkspace).auditPath);
    const spawn = records.find((r) => r.tool === "spawn" && r.decision === "allow");
    expect(spawn).toMatchObject({ agentSession: "alice", connection: expect.stringMatching(/^c-/) });
    const denied = records.filter((r) => r.agentSession === "bob" && r.code === "PANE_NOT_FOUND");
    expect(denied.length).toBe(4);
    expect(
      records.filter((r) => r.event === "connect" && r.decision === "allow").map((r) => r.agentSession),
    ).toEqual(expect.arrayContaining(["alice", "bob"]));
    // One daemon serves both sessions.
    expect(d.daemonPid()).toBeGreaterThan(0);
  });

  it("ccmux ls lists the daemon's sessions and panes; daemon stop ends the panes and the daemon", async () => {
    const d = setup();
    const client = await connect("listed");
    const { pane, pid } = await client.ok<{ pane: string; pid: number }>("spawn", { command: BASH });
    await client.ok("send_keys", { pane, text: "echo up-$((1+1))", submit: true, wait: { text: "up-2" } });
    const ls = d.cli(["ls", "--json"]);
    expect(ls.status, ls.stderr).toBe(0);
    const listing = JSON.parse(ls.stdout) as Array<{
      pid: number;
      sessions: Array<{ name: string; panes: Array<{ pane: string }> }>;
    }>;
    expect(listing).toHaveLength(1);
    expect(listing[0]?.pid).toBe(d.daemonPid());
    expect(listing[0]?.sessions).toEqual([
      expect.objectContaining({ name: "listed", connections: 1, panes: [expect.objectContaining({ pane })] }),
    ]);
    expect(d.cli(["ls"]).stdout).toContain(`session listed: 1 connection, 1 pane`);
    const daemonPid = d.daemonPid() as number;
    const stop = d.cli(["daemon", "stop", "--config", (ws as TestWorkspace).policyPath]);
    expect(stop.status, stop.stderr).toBe(0);
    expect(processGone(daemonPid)).toBe(true);
    await eventually(() => processGone(pid));
    expect(d.cli(["ls"]).stdout).toContain("No ccmux daemon is running.");
    const records = readAudit((ws as TestWorkspace).auditPath);
    expect(records.at(-1)).toMatchObject({ event: "stop", reason: "ccmux daemon stop" });
    expect(records.some((r) => r.event === "start" && r.daemon === true)).toBe(true);
  });
});
