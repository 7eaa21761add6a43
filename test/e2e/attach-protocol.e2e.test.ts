import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { spawn as ptySpawn } from "node-pty";
import { afterEach, describe, expect, it } from "vitest";
import { AttachClient } from "../support/attach-client.js";
import { type TestDaemons, testDaemons } from "../support/daemon-harness.js";
import {
  eventually,
  makeWorkspace,
  readAudit,
  type Served,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * The daemon's side of `ccmux attach` (issue 13), spoken directly over the real socket: who may type, what the
 * agent sees while a person watches or types, and what the audit log records with `origin: "person"`.
 */
const BASH = "bash --norc --noprofile";
const ECHO_LOOP = 'echo "loop ready"; while read -r line; do echo "got:$line"; done';

describe.each([
  ["sandbox.mode: off", "off"],
  ["sandbox.mode: required", "required"],
] as const)("attach protocol (%s)", (_label, mode) => {
  let ws: TestWorkspace | undefined;
  let daemons: TestDaemons | undefined;
  const clients: Served[] = [];
  const viewers: AttachClient[] = [];
  afterEach(async () => {
    for (const viewer of viewers.splice(0)) viewer.close();
    for (const client of clients.splice(0)) await client.close().catch(() => {});
    await daemons?.stopAll();
    ws?.cleanup();
    ws = undefined;
    daemons = undefined;
  });

  /** A daemon with an agent session "work" running an echo loop in a bash pane. */
  async function agentPane(): Promise<{ agent: Served; pane: string; socket: string }> {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode },
    });
    daemons = testDaemons(ws);
    const agent = await daemons.connect("work");
    clients.push(agent);
    const { pane } = await agent.ok<{ pane: string }>("spawn", { command: BASH, name: "loop" });
    await agent.ok("send_keys", { pane, text: ECHO_LOOP, submit: true, wait: { text: "loop ready" } });
    return { agent, pane, socket: daemons.socketPath() as string };
  }

  async function attach(
    socket: string,
    hello: Parameters<typeof AttachClient.attach>[1],
  ): Promise<AttachClient> {
    const viewer = await AttachClient.attach(socket, hello);
    viewers.push(viewer);
    return viewer;
  }

  function audit(): Array<Record<string, unknown>> {
    return readAudit((ws as TestWorkspace).auditPath);
  }

  it("a read-only viewer sees the screen at once, is counted, and what it types reaches nothing", async () => {
    const { agent, pane, socket } = await agentPane();
    const viewer = await attach(socket, { pane: "loop", session: "work" });
    expect(viewer.reply).toMatchObject({
      ok: true,
      pane: { id: pane, name: "loop", owner: "agent", session: "work" },
    });
    await viewer.untilScreen("loop ready");
    const listed = await agent.ok<{ panes: Array<Record<string, unknown>> }>("list_panes");
    expect(listed.panes[0]).toMatchObject({ pane, viewers: 1, personTyping: false });
    // Typing without write changes nothing: the agent's next line is the first the loop answers.
    viewer.send({ keys: "sneaky\r" });
    await agent.ok("send_keys", { pane, text: "from-agent", submit: true, wait: { text: "got:from-agent" } });
    await viewer.untilScreen("got:from-agent");
    expect(viewer.screen().join("\n")).not.toContain("sneaky");
    const read = await agent.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    expect(read.text).not.toContain("sneaky");
    viewer.close();
    await expect
      .poll(
        async () => (await agent.ok<{ panes: Array<{ viewers: number }> }>("list_panes")).panes[0]?.viewers,
        { timeout: 10_000 },
      )
      .toBe(0);
    const records = audit().filter((record) => record.origin === "person");
    expect(records.map((record) => record.event)).toEqual(["attach", "detach"]);
    expect(records.some((record) => record.event === "person-input")).toBe(false);
  });

  it("the daemon draws into its client's own controlling terminal only: a hello naming another terminal (the person's other terminal, or one swapped in after the hello) gets frames as before", async () => {
    const { pane, socket } = await agentPane();
    const dir = (ws as TestWorkspace).dir;
    // Another terminal of the same user, which the attach client does not hold.
    const other = ptySpawn("sleep", ["60"], {
      cols: 80,
      rows: 24,
      env: { PATH: process.env.PATH ?? "/usr/bin" },
    });
    // Until node-pty's child has put the terminal on its stdin, fd 0 is the one it inherited (a socket): a read
    // too early named that (seen under load in CI).
    const otherPath = await eventually(() => {
      const path = readlinkSync(`/proc/${other.pid}/fd/0`);
      return path.startsWith("/dev/pts/") ? path : false;
    });
    // The client runs in a real terminal (node-pty: its controlling terminal) and names one.
    const attachNaming = async (
      named: "own" | "own, another device" | "another terminal",
    ): Promise<{ reply: Record<string, unknown>; shown: string }> => {
      const replyFile = join(dir, `reply-${named.replace(/\W+/g, "-")}.json`);
      const script = `
        const net = require("node:net"), fs = require("node:fs");
        const [, socketPath, pane, replyFile, named, otherPath] = process.argv;
        const path = named === "another terminal" ? otherPath : fs.readlinkSync("/proc/self/fd/0");
        const rdev = fs.statSync(path).rdev + (named === "own, another device" ? 1 : 0);
        const socket = net.connect(socketPath, () => socket.write(JSON.stringify({ ccmux: 1, op: "attach",
          session: "default", pane, write: false, resize: false, cols: 80, rows: 23,
          terminal: { escapeKey: "C-]", path, rdev } }) + "\\n"));
        let text = "";
        let replied = false;
        socket.on("data", (chunk) => {
          text += chunk;
          if (replied || !text.includes("\\n")) return;
          replied = true;
          // Written whole, then renamed into place: the test polls for the file and read it empty once, between
          // writeFileSync's truncate and its write (CI).
          fs.writeFileSync(replyFile + ".part", text.slice(0, text.indexOf("\\n")));
          fs.renameSync(replyFile + ".part", replyFile);
        });
        setInterval(() => {}, 1000);`;
      const child = ptySpawn(process.execPath, ["-e", script, socket, pane, replyFile, named, otherPath], {
        cols: 80,
        rows: 24,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      });
      let shown = "";
      child.onData((data) => {
        shown += data;
      });
      try {
        const reply = await eventually(() =>
          existsSync(replyFile)
            ? (JSON.parse(readFileSync(replyFile, "utf8")) as Record<string, unknown>)
            : false,
        );
        if (reply.terminal === true) await eventually(() => shown.includes("loop ready"));
        else await new Promise((resolve) => setTimeout(resolve, 500));
        const daemonPid = (daemons as TestDaemons).daemonPid() as number;
        // Security: O_NOCTTY: the person's terminal never becomes the daemon's controlling terminal.
        expect(readFileSync(`/proc/${daemonPid}/stat`, "utf8").split(") ")[1]?.split(" ")[4]).toBe("0");
        return { reply, shown };
      } finally {
        child.kill("SIGKILL");
      }
    };
    let otherShown = "";
    other.onData((data) => {
      otherShown += data;
    });
    try {
      const own = await attachNaming("own");
      expect(own.reply).toMatchObject({ ok: true, terminal: true });
      expect(own.shown).toContain("loop ready");
      // Security: the terminal must be the client's controlling terminal, and the device it names.
      for (const named of ["own, another device", "another terminal"] as const) {
        const refused = await attachNaming(named);
        expect(refused.reply).toMatchObject({ ok: true, terminal: false });
        expect(refused.shown).not.toContain("loop ready");
      }
      expect(otherShown).toBe("");
    } finally {
      other.kill("SIGKILL");
    }
    const viewer = await attach(socket, {
      pane,
      terminal: { escapeKey: "C-]", path: "/dev/pts/0", rdev: 1 },
    });
    expect(viewer.reply).toMatchObject({ ok: true, terminal: false });
    await viewer.untilScreen("loop ready");
  });

  it("a viewer with write types into the pane, the agent gets PANE_BUSY until it is released", async () => {
    const { agent, pane, socket } = await agentPane();
    const viewer = await attach(socket, { pane, write: true });
    expect(viewer.reply).toMatchObject({ ok: true, status: { write: true, viewers: 1 } });
    viewer.send({ keys: "typed by a person\r" });
    await viewer.untilScreen("got:typed by a person");
    // After the first frame only the rows that changed come ({rows}), and each fits the frame before it.
    expect(viewer.rowUpdates).toBeGreaterThan(0);
    expect(viewer.misfit).toBeUndefined();
    const busy = await agent.refused("send_keys", { pane, text: "agent text", submit: true }, "PANE_BUSY");
    expect(busy).toMatch(/person/i);
    const read = await agent.ok<{ personTyping: boolean; viewers: number }>("read_pane", { pane });
    expect(read).toMatchObject({ personTyping: true, viewers: 1 });
    viewer.send({ write: false });
    await viewer.until(() => viewer.statuses.at(-1)?.write === false, "write released");
    await agent.ok("send_keys", {
      pane,
      text: "agent again",
      submit: true,
      wait: { text: "got:agent again" },
    });
    const person = audit().filter((record) => record.origin === "person");
    expect(person.map((record) => record.event)).toEqual([
      "attach",
      "person-write",
      "person-input",
      "person-write",
    ]);
    expect(person[1]).toMatchObject({ take: true, decision: "allow", pane });
    expect(person[2]).toMatchObject({ bytes: 18, text: "typed by a person\r" });
    expect(person[3]).toMatchObject({ take: false });
    const refusal = audit().find((record) => record.code === "PANE_BUSY");
    expect(refusal).toMatchObject({ tool: "send_keys", decision: "deny", origin: "agent" });
  });

  it("a read-only connection cannot take write, whatever it sends (a taken-over read-only attach types nothing)", async () => {
    const { agent, pane, socket } = await agentPane();
    const viewer = await attach(socket, { pane });
    await viewer.untilScreen("loop ready");
    viewer.send({ write: true });
    viewer.send({ keys: "hijacked\r" });
    viewer.send({ write: false });
    await agent.ok("send_keys", { pane, text: "agent line", submit: true, wait: { text: "got:agent line" } });
    const read = await agent.ok<{ text: string; personTyping: boolean }>("read_pane", {
      pane,
      mode: "scrollback",
    });
    expect(read.text).not.toContain("hijacked");
    expect(read.personTyping).toBe(false);
    const person = audit().filter((record) => record.origin === "person");
    expect(person.map((record) => [record.event, record.decision])).toEqual([
      ["attach", "allow"],
      ["person-write", "deny"],
    ]);
    expect(person[1]).toMatchObject({ code: "INPUT_NOT_ALLOWED" });
  });

  it("only one viewer holds write; the second is told who does and its typing is dropped", async () => {
    const { pane, socket } = await agentPane();
    const first = await attach(socket, { pane, write: true });
    const second = await attach(socket, { pane, write: true });
    expect(second.reply).toMatchObject({ ok: true, status: { write: false, viewers: 2 } });
    const status = second.reply?.status as { writeHeldBy?: number } | undefined;
    expect(status?.writeHeldBy).toBeGreaterThan(0);
    const refused = audit().find((record) => record.event === "person-write" && record.decision === "deny");
    expect(refused).toMatchObject({ code: "PANE_BUSY", origin: "person" });
    await first.until(() => first.statuses.at(-1)?.viewers === 2, "the first viewer to count two");
    second.send({ keys: "second viewer\r" });
    first.send({ keys: "first viewer\r" });
    await first.untilScreen("got:first viewer");
    expect(first.screen().join("\n")).not.toContain("second viewer");
    const listing = JSON.parse(
      (daemons as TestDaemons).cli(["ls", "--json", "--config", (ws as TestWorkspace).policyPath]).stdout,
    );
    const listed = listing[0].sessions[0].panes[0];
    expect(listed.viewers).toHaveLength(2);
    expect(listed.viewers.filter((viewer: { write: boolean }) => viewer.write)).toHaveLength(1);
    const text = (daemons as TestDaemons).cli(["ls", "--config", (ws as TestWorkspace).policyPath]).stdout;
    expect(text.match(/attached: pid \d+ uid \d+ \(typing\)/g)).toHaveLength(1);
    expect(text.match(/attached: pid \d+ uid \d+$/gm)).toHaveLength(1);
  });

  it("the view ends when the pane exits, after its last screen", async () => {
    const { agent, pane, socket } = await agentPane();
    const viewer = await attach(socket, { pane });
    await viewer.untilScreen("loop ready");
    // C-d ends the loop's read; bash then runs the next line and exits.
    await agent.ok("send_keys", { pane, keys: ["C-d"] });
    await agent.ok("send_keys", { pane, text: "echo last words; exit 3", submit: true });
    await viewer.until(() => viewer.end !== undefined, "the end of the view");
    expect(viewer.end).toMatch(/exited \(code 3\)/);
    expect(viewer.screen().join("\n")).toContain("last words");
    await viewer.until(() => viewer.closed, "the socket to close");
  });

  it("an attach to a pane that is not there is refused, audited, and counts no viewer", async () => {
    const { agent, socket } = await agentPane();
    const viewer = await attach(socket, { pane: "no-such-pane" });
    expect(viewer.reply).toMatchObject({ ok: false, code: "PANE_NOT_FOUND" });
    // Another session's pane names are not in reach by name either.
    const other = await attach(socket, { pane: "loop", session: "other" });
    expect(other.reply).toMatchObject({ ok: false, code: "PANE_NOT_FOUND" });
    const denied = audit().filter((record) => record.event === "attach");
    expect(denied).toHaveLength(2);
    expect(denied.every((record) => record.decision === "deny" && record.origin === "person")).toBe(true);
    const listed = await agent.ok<{ panes: Array<{ viewers: number }> }>("list_panes");
    expect(listed.panes[0]?.viewers).toBe(0);
  });

  it("a person pane's name never leads to an agent's pane, also once the person pane is killed (impostor pane)", async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      panes: [{ name: "bash", command: BASH, access: "write" }],
      sandbox: { mode },
    });
    daemons = testDaemons(ws);
    const agent = await daemons.connect("work");
    clients.push(agent);
    const { panes } = await agent.ok<{ panes: Array<{ pane: string; name: string; owner: string }> }>(
      "list_panes",
    );
    const person = panes.find((pane) => pane.owner === "person") as { pane: string };
    await agent.ok("kill_pane", { pane: person.pane });
    // Spawned under the person pane's name: refused; under its default name (the program's, here the same): allowed.
    await agent.refused("spawn", { command: BASH, name: "bash" }, "INVALID_ARGUMENT");
    const impostor = await agent.ok<{ pane: string; name: string }>("spawn", { command: BASH });
    expect(impostor.name).toBe("bash");
    const viewer = await attach(daemons.socketPath() as string, {
      pane: "bash",
      session: "work",
      write: true,
    });
    expect(viewer.reply).toMatchObject({ ok: false, code: "PANE_NOT_FOUND" });
    const byId = await attach(daemons.socketPath() as string, { pane: impostor.pane, session: "work" });
    expect(byId.reply).toMatchObject({ ok: true, pane: { owner: "agent" } });
  });

  it("a client that sends what the protocol does not know is detached, and its write released", async () => {
    const { agent, pane, socket } = await agentPane();
    const viewer = await attach(socket, { pane, write: true });
    viewer.send({ keys: "x", extra: "field" });
    await viewer.until(() => viewer.closed, "the daemon to end the view");
    expect(viewer.end).toMatch(/does not know/);
    const read = await agent.ok<{ personTyping: boolean; viewers: number }>("read_pane", { pane });
    expect(read).toMatchObject({ personTyping: false, viewers: 0 });
    await agent.ok("send_keys", { pane, text: "still mine", submit: true, wait: { text: "got:still mine" } });
  });
});
