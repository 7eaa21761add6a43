import { spawn } from "node:child_process";
import {
  chownSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { daemonFixture, type TestDaemons, testDaemons } from "../support/daemon-harness.js";
import {
  CLI,
  eventually,
  makeWorkspace,
  processGone,
  readAudit,
  type Served,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * Panes that outlive the client (issue 12): `serve --daemon` bridges to the policy's daemon; panes belong to
 * the agent session, not to one connection. Real daemon, real socket, real MCP client over stdio.
 */
const BASH = "bash --norc --noprofile";
const BASH_LINE = BASH;
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
    // kill_pane stays idempotent across a reconnect of the session.
    const killed = await second.ok("kill_pane", { pane });
    await disconnect(second);
    const third = await connect("work");
    expect(await third.ok("kill_pane", { pane })).toEqual(killed);
    const repeats = readAudit((ws as TestWorkspace).auditPath).filter(
      (r) => r.tool === "kill_pane" && r.repeated === true,
    );
    expect(repeats).toHaveLength(1);
  });

  it("a validated shell outlives its client: a reconnect runs the next command in the directory it left", async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "validated" }, { command: "pwd" }],
      sandbox: { mode },
    });
    mkdirSync(join(ws.root, "deeper"));
    if (process.getuid?.() === 0) chownSync(join(ws.root, "deeper"), 65534, 65534);
    daemons = testDaemons(ws);
    const first = await connect("work");
    const { pane } = await first.ok<{ pane: string }>("spawn", { command: BASH });
    expect((await first.ok<{ cwd: string }>("run", { pane, command: "cd deeper" })).cwd).toBe(
      join(ws.root, "deeper"),
    );
    await disconnect(first);
    const second = await connect("work");
    const ran = await second.ok<{ output: string; exitCode: number }>("run", { pane, command: "pwd" });
    expect(ran).toMatchObject({ exitCode: 0, output: join(ws.root, "deeper") });
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
    await eventually(() => processGone(daemonPid));
    await eventually(() => processGone(pid));
    expect(d.cli(["ls"]).stdout).toContain("No ccmux daemon is running.");
    const records = readAudit((ws as TestWorkspace).auditPath);
    expect(records.at(-1)).toMatchObject({ event: "stop", reason: "ccmux daemon stop" });
    expect(records.some((r) => r.event === "start" && r.daemon === true)).toBe(true);
  });
});

describe("one daemon per policy", () => {
  const fixture = daemonFixture();
  const connect = (session: string): Promise<Served> => fixture.connect(session);

  it("the policy is frozen at start: a changed file is reported by the next bridge and not applied", async () => {
    const { ws } = fixture.start({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "off" },
    });
    const first = await connect("frozen");
    await first.refused("spawn", { command: "echo hi" }, "COMMAND_NOT_ALLOWED");
    const policy = JSON.parse(readFileSync(ws.policyPath, "utf8")) as { commands: unknown[] };
    policy.commands.push({ command: "echo", args: ["**"] });
    writeFileSync(ws.policyPath, JSON.stringify(policy));
    const second = await connect("frozen");
    expect(second.stderr()).toMatch(/changed after the daemon \(pid \d+\) started/);
    expect(second.stderr()).toContain(`ccmux daemon stop --config ${realpathSync(ws.policyPath)}`);
    // Still the old policy, for the new connection and the old one.
    await second.refused("spawn", { command: "echo hi" }, "COMMAND_NOT_ALLOWED");
    await first.refused("spawn", { command: "echo hi" }, "COMMAND_NOT_ALLOWED");
  });

  it("person panes start once for the daemon and keep their access in every session", async () => {
    fixture.start({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      panes: [{ name: "person-log", command: "bash --norc --noprofile", access: "read" }],
      sandbox: { mode: "off" },
    });
    const listings: Array<Array<{ name: string; owner: string; access: string; pane: string }>> = [];
    const sessions: Served[] = [];
    for (const session of ["one", "two"]) {
      const client = await connect(session);
      sessions.push(client);
      listings.push((await client.ok<{ panes: (typeof listings)[0] }>("list_panes")).panes);
    }
    expect(listings[0]).toEqual([
      expect.objectContaining({ name: "person-log", owner: "person", access: "read" }),
    ]);
    expect(listings[1]?.map((p) => p.pane)).toEqual(listings[0]?.map((p) => p.pane));
    const pane = listings[0]?.[0]?.pane as string;
    await (sessions[1] as Served).refused("send_keys", { pane, text: "x" }, "PANE_FORBIDDEN");
    await (sessions[1] as Served).ok("read_pane", { pane });
  });

  it("two bridges starting at once end up on one daemon", async () => {
    const { ws } = fixture.start({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "off" },
    });
    const [a, b] = await Promise.all([connect("race"), connect("race")]);
    const { pane } = await (a as Served).ok<{ pane: string }>("spawn", { command: BASH_LINE });
    expect(
      (await (b as Served).ok<{ panes: Array<{ pane: string }> }>("list_panes")).panes.map((p) => p.pane),
    ).toEqual([pane]);
    const starts = readAudit(ws.auditPath).filter((r) => r.event === "start" && r.daemon === true);
    expect(starts).toHaveLength(1);
  });

  it("ccmux daemon runs in the foreground, logs to stderr, and stops on SIGTERM with its panes", async () => {
    const { ws, daemons } = fixture.start({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "off" },
    });
    const foreground = spawn(process.execPath, [CLI, "daemon", "--config", ws.policyPath], {
      env: daemons.env,
    });
    let stderr = "";
    foreground.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await eventually(() => stderr.includes("daemon serving MCP on"), 30_000);
    const client = await connect("fg");
    const { pid } = await client.ok<{ pid: number }>("spawn", { command: BASH_LINE });
    expect(daemons.daemonPid()).toBe(foreground.pid);
    const exited = new Promise<number | null>((resolve) => foreground.once("exit", resolve));
    foreground.kill("SIGTERM");
    expect(await exited).toBe(0);
    await eventually(() => processGone(pid));
    expect(readAudit(ws.auditPath).at(-1)).toMatchObject({ event: "stop", reason: "SIGTERM" });
  });

  it("a daemon whose log cannot be written (a full filesystem) keeps serving", async () => {
    const { ws, daemons } = fixture.start({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "off" },
    });
    const full = openSync("/dev/full", "w");
    const foreground = spawn(process.execPath, [CLI, "daemon", "--config", ws.policyPath], {
      env: daemons.env,
      stdio: ["ignore", "pipe", full],
    });
    closeSync(full);
    let ready = "";
    foreground.stdout?.on("data", (chunk: Buffer) => {
      ready += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => foreground.once("exit", resolve));
    await Promise.race([eventually(() => ready.includes("ccmux-daemon-ready"), 30_000), exited]);
    const client = await connect("full");
    // Refusals write to the log too; the daemon must survive them.
    await client.refused("spawn", { command: "rm -rf /" }, "COMMAND_NOT_ALLOWED");
    expect((await client.ok<{ panes: unknown[] }>("list_panes")).panes).toEqual([]);
    expect(foreground.exitCode).toBeNull();
    foreground.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
