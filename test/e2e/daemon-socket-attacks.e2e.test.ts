import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect as connectSocket, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_CLIENTS } from "../../src/cli/daemon-connections.js";
import { type TestDaemons, testDaemons } from "../support/daemon-harness.js";
import {
  AS_ROOT,
  CLI,
  eventually,
  makeWorkspace,
  processesWith,
  processGone,
  readAudit,
  type Served,
  type TestWorkspace,
  textOf,
  unprivilegedServer,
} from "../support/mcp-harness.js";
import { TmuxTerminal } from "../support/tmux-terminal.js";

/**
 * The daemon's socket (seed §5.1 socket hijacking, §5.2 peer credentials) and its failures, attacked through
 * `serve --daemon` and the real MCP client. The building blocks have their own tests in test/daemon.
 */
const BASH = "bash --norc --noprofile";

describe("the daemon socket under attack", () => {
  let ws: TestWorkspace | undefined;
  let daemons: TestDaemons | undefined;
  const clients: Served[] = [];
  const servers: Server[] = [];
  const terminals: TmuxTerminal[] = [];
  afterEach(async () => {
    for (const terminal of terminals.splice(0)) terminal.kill();
    for (const client of clients.splice(0)) await client.close().catch(() => {});
    for (const server of servers.splice(0)) server.close();
    await daemons?.stopAll();
    ws?.cleanup();
    ws = undefined;
    daemons = undefined;
  });

  function setup(mode: "off" | "required" = "off"): TestDaemons {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode },
    });
    daemons = testDaemons(ws);
    return daemons;
  }

  /**
   * A daemon of a policy without the sandbox, with one session connected. Under root the daemon runs as nobody,
   * so its panes run as the daemon's own uid, as they do for everyone who does not run ccmux as root.
   */
  async function unsandboxedAsDaemonUser(session: string): Promise<{ d: TestDaemons; client: Served }> {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "off" },
    });
    const d = testDaemons(ws, { asNobody: true });
    daemons = d;
    const client = await d.connect(session);
    clients.push(client);
    return { d, client };
  }

  async function connect(session = "default"): Promise<Served> {
    const client = await (daemons as TestDaemons).connect(session);
    clients.push(client);
    return client;
  }

  it("kill -9 of the daemon: a pending call gets a clear error, the log has no torn line, the next bridge starts a fresh daemon", async () => {
    const d = setup();
    const client = await connect();
    const { pane, pid: panePid } = await client.ok<{ pane: string; pid: number }>("spawn", { command: BASH });
    await client.ok("send_keys", {
      pane,
      text: "echo alive-$((2+2))",
      submit: true,
      wait: { text: "alive-4" },
    });
    const first = d.daemonPid() as number;
    const pending = client.call("send_keys", {
      pane,
      text: "echo typed-$((3*3))",
      submit: true,
      wait: { text: "never-printed", timeout_ms: 60_000 },
    });
    pending.catch(() => {});
    // The call is in the daemon, waiting (its keys were typed), before the daemon dies.
    await client.ok("wait_for", { pane, text: "typed-9" });
    process.kill(first, "SIGKILL");
    await expect(pending).rejects.toThrow(/DAEMON_UNAVAILABLE: the ccmux daemon \(pid \d+\) went away/);
    await eventually(() => processGone(first));
    // The pane's terminal closed with the daemon: its shell got SIGHUP (what survives is in the README).
    await eventually(() => processGone(panePid));
    const verify = d.cli(["audit", "verify", "--config", (ws as TestWorkspace).policyPath]);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    const next = await connect();
    // Nothing runs in the fresh daemon. The killed pane is listed only as history (persist.scrollback is on for
    // the daemon), exited, when its journal was written before the kill: that depends on the moment.
    const { panes } = await next.ok<{ panes: Array<Record<string, unknown>> }>("list_panes");
    for (const listed of panes)
      expect(listed).toMatchObject({ pane, alive: false, reason: "daemon restarted" });
    expect(panes.length).toBeLessThanOrEqual(1);
    const second = d.daemonPid() as number;
    expect(second).not.toBe(first);
    expect(processGone(second)).toBe(false);
    // The new daemon's start is recorded after the dead one's last record, in the same chain.
    const records = readAudit((ws as TestWorkspace).auditPath);
    expect(records.filter((r) => r.event === "start" && r.daemon === true).map((r) => r.pid)).toEqual([
      first,
      second,
    ]);
  });

  it("a planted socket and info file (no daemon holds the lock) are never connected to", async () => {
    const d = setup();
    mkdirSync(d.socketDir, { mode: 0o700 });
    // The attacker's server, in our own directory (what a same-uid pane could do if it could reach it).
    const planted = join(d.socketDir, "00000000000000aa.sock");
    let reached = 0;
    const server = createServer((socket) => {
      reached += 1;
      socket.destroy();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(planted, resolve));
    chmodSync(planted, 0o600);
    const infoName = readdirSync(d.socketDir).find((n) => n.endsWith(".json"));
    expect(infoName).toBeUndefined();
    // The info file a real daemon of this policy would write, naming the planted socket and the test's own pid.
    const { daemonFiles } = await import("../../src/daemon/daemon-files.js");
    const files = daemonFiles(d.socketDir, realpathSync((ws as TestWorkspace).policyPath));
    writeFileSync(
      files.info,
      JSON.stringify({
        version: 1,
        policy: realpathSync((ws as TestWorkspace).policyPath),
        policyHash: "0".repeat(64),
        socket: planted,
        pid: process.pid,
        started: new Date().toISOString(),
        ccmux: "0.1.0",
      }),
      { mode: 0o600 },
    );
    const client = await connect();
    await client.ok("list_panes");
    expect(reached).toBe(0);
    const pid = d.daemonPid() as number;
    expect(pid).not.toBe(process.pid);
  });

  for (const [attack, arrange, expected] of [
    [
      "a symlinked socket directory",
      (dir: string, other: string) => {
        mkdirSync(other, { mode: 0o700 });
        symlinkSync(other, dir);
      },
      /is a symbolic link/,
    ],
    [
      "a socket directory open to others (0755)",
      (dir: string) => {
        mkdirSync(dir);
        chmodSync(dir, 0o755);
      },
      /0755/,
    ],
  ] as const) {
    it(`${attack}: every call answers DAEMON_UNAVAILABLE, nothing starts, the directory is left as it was`, async () => {
      const d = setup();
      const other = join((ws as TestWorkspace).dir, "elsewhere");
      arrange(d.socketDir, other);
      const before = lstatSync(d.socketDir);
      const client = await connect();
      const result = await client.call("list_panes");
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^DAEMON_UNAVAILABLE: /);
      expect(JSON.stringify(result)).toMatch(expected);
      expect(client.stderr()).toMatch(expected);
      const after = lstatSync(d.socketDir);
      expect([after.mode, after.uid, after.isSymbolicLink()]).toEqual([
        before.mode,
        before.uid,
        before.isSymbolicLink(),
      ]);
      expect(d.daemonPid()).toBeUndefined();
      if (attack.includes("symlink")) expect(readdirSync(other)).toEqual([]);
      const refusals = readAudit((ws as TestWorkspace).auditPath).filter(
        (r) => r.code === "DAEMON_UNAVAILABLE",
      );
      expect(refusals.length).toBeGreaterThan(0);
    });
  }

  for (const [where, place] of [
    ["the default /tmp/ccmux-UID (no XDG_RUNTIME_DIR)", "default"],
    ["an XDG_RUNTIME_DIR outside /tmp and /run (ccmux hides it itself)", "var-tmp"],
  ] as const) {
    it(`a sandboxed pane cannot see the socket directory in ${where}; an unsandboxed one can (control)`, async () => {
      const results: Record<string, string> = {};
      for (const mode of ["required", "off"] as const) {
        ws = makeWorkspace({
          commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
          sandbox: { mode },
        });
        const base = place === "var-tmp" ? mkdtempSync("/var/tmp/ccmux-e2e-run-") : undefined;
        // The server runs as nobody under root, so the unsandboxed control pane is the daemon's own user.
        const d = testDaemons(
          ws,
          place === "default"
            ? { runtimeDir: false, asNobody: true }
            : { runtimeBase: base as string, asNobody: true },
        );
        // Searchable by the pane user (a root server's panes are nobody), so only the sandbox can hide it.
        if (base) for (const dir of [base, join(base, "run")]) chmodSync(dir, 0o711);
        daemons = d;
        try {
          const client = await d.connect();
          clients.push(client);
          const { pane } = await client.ok<{ pane: string }>("spawn", { command: BASH });
          const answer = await client.ok<{ wait: { text: string } }>("send_keys", {
            pane,
            // Hidden means nothing in it can be seen (a hidden directory may remain as an empty mount point).
            text: `if [ -e ${d.socketPath()} ]; then echo "SEEN-$((1))"; else echo "HIDDEN-$((1))"; fi`,
            submit: true,
            wait: { regex: "(SEEN|HIDDEN)-1" },
          });
          results[mode] = /SEEN-1/.test(answer.wait.text) ? "seen" : "hidden";
          await client.close();
          clients.splice(0);
        } finally {
          await d.stopAll();
          if (base) rmSync(base, { recursive: true, force: true });
          ws.cleanup();
          ws = undefined;
          daemons = undefined;
        }
      }
      expect(results).toEqual({ required: "hidden", off: "seen" });
    });
  }

  it("an unsandboxed pane of the daemon's own user connecting back to the socket is refused (its own panes never reach the tools)", async () => {
    const { d, client } = await unsandboxedAsDaemonUser("victim");
    const { pane } = await client.ok<{ pane: string }>("spawn", { command: BASH });
    const socket = d.socketPath() as string;
    // The daemon may close the connection before the hello is sent or after: any end without an answer counts.
    const probe = `python3 -c 'import socket;s=socket.socket(socket.AF_UNIX)\ntry:\n s.connect("${socket}");s.sendall(b"{\\"ccmux\\":1,\\"op\\":\\"ls\\"}\\n");print("GOT-"+str(len(s.recv(65536))))\nexcept OSError as e:\n print("CLOSED-"+type(e).__name__)'`;
    const answer = await client.ok<{ wait: { text: string } }>("send_keys", {
      pane,
      text: probe,
      submit: true,
      wait: { regex: "GOT-\\d+|CLOSED-\\w+" },
    });
    // It could connect (same uid, directory reachable), but the daemon closed it unanswered.
    expect(answer.wait.text).toMatch(/GOT-0\b|CLOSED-(ConnectionResetError|BrokenPipeError)/);
    expect(answer.wait.text).not.toMatch(/GOT-[1-9]/);
    const denied = readAudit((ws as TestWorkspace).auditPath).filter(
      (r) => r.event === "connect" && r.decision === "deny",
    );
    expect(denied.map((r) => r.reason)).toEqual([
      expect.stringMatching(/runs inside the daemon's own panes/),
    ]);
    // Control: the same hello from outside the daemon's tree is answered.
    const listed = d.cli(["ls", "--json"]);
    expect(listed.status, listed.stderr).toBe(0);
  });

  it("an unsandboxed pane attaching with --write to another pane through the socket is refused, and types nothing (input modes bind the agent)", async () => {
    const { d, client } = await unsandboxedAsDaemonUser("agent");
    const { pane: victim } = await client.ok<{ pane: string }>("spawn", { command: BASH, name: "victim" });
    const { pane } = await client.ok<{ pane: string }>("spawn", { command: BASH });
    const socket = d.socketPath() as string;
    const hello = JSON.stringify({
      ccmux: 1,
      op: "attach",
      session: "agent",
      pane: victim,
      write: true,
      resize: false,
      cols: 80,
      rows: 24,
    });
    const keys = JSON.stringify({ keys: "echo PWNED-BY-PANE\r" });
    const probe = `python3 -c 'import socket;s=socket.socket(socket.AF_UNIX)\ntry:\n s.connect("${socket}");s.sendall(b"""${hello}\n${keys}\n""");print("GOT-"+str(len(s.recv(65536))))\nexcept OSError as e:\n print("CLOSED-"+type(e).__name__)'`;
    const answer = await client.ok<{ wait: { text: string } }>("send_keys", {
      pane,
      text: probe,
      submit: true,
      wait: { regex: "GOT-\\d+|CLOSED-\\w+" },
    });
    expect(answer.wait.text).toMatch(/GOT-0\b|CLOSED-(ConnectionResetError|BrokenPipeError)/);
    await client.ok("send_keys", {
      pane: victim,
      text: "echo victim-ali''ve",
      submit: true,
      wait: { text: "victim-alive\n" },
    });
    const read = await client.ok<{ text: string; viewers: number; personTyping: boolean }>("read_pane", {
      pane: victim,
      mode: "scrollback",
    });
    expect(read.text).not.toContain("PWNED-BY-PANE");
    expect(read).toMatchObject({ viewers: 0, personTyping: false });
    const records = readAudit((ws as TestWorkspace).auditPath);
    expect(
      records.filter((r) => r.event === "connect" && r.decision === "deny").map((r) => r.reason),
    ).toEqual([expect.stringMatching(/runs inside the daemon's own panes/)]);
    expect(records.filter((r) => r.event === "attach" || r.origin === "person")).toEqual([]);
  });

  it("a sandboxed pane of one daemon that can see another daemon's socket is refused by it (it runs in a nested pid namespace)", async () => {
    // Daemon B (unsandboxed panes) keeps its socket under /var/tmp, which daemon A's sandbox does not hide; both
    // run as the same user (nobody under root), so only the namespace check stands between A's pane and B.
    const wsB = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "off" },
    });
    const baseB = mkdtempSync("/var/tmp/ccmux-e2e-run-");
    const b = testDaemons(wsB, { runtimeBase: baseB, asNobody: true });
    for (const dir of [baseB, join(baseB, "run")]) chmodSync(dir, 0o711);
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "required" },
    });
    const a = testDaemons(ws, { asNobody: true });
    daemons = a;
    try {
      const victim = await b.connect("victim");
      clients.push(victim);
      await victim.ok("spawn", { command: BASH });
      const attacker = await a.connect("attacker");
      clients.push(attacker);
      const { pane } = await attacker.ok<{ pane: string }>("spawn", { command: BASH });
      const socket = b.socketPath() as string;
      const probe = `python3 -c 'import socket;s=socket.socket(socket.AF_UNIX)\ntry:\n s.connect("${socket}");s.sendall(b"{\\"ccmux\\":1,\\"op\\":\\"ls\\"}\\n");print("GOT-"+str(len(s.recv(65536))))\nexcept OSError as e:\n print("CLOSED-"+type(e).__name__)'`;
      const answer = await attacker.ok<{ wait: { text: string } }>("send_keys", {
        pane,
        text: probe,
        submit: true,
        wait: { regex: "GOT-\\d+|CLOSED-\\w+" },
      });
      // It reached the socket (the path is visible and ours), and B closed it unanswered.
      expect(answer.wait.text).toMatch(/GOT-0\b|CLOSED-(ConnectionResetError|BrokenPipeError)/);
      const denied = readAudit(wsB.auditPath).filter((r) => r.event === "connect" && r.decision === "deny");
      expect(denied.map((r) => r.reason)).toEqual([
        expect.stringMatching(/pid namespace below the daemon's/),
      ]);
    } finally {
      await b.stopAll();
      wsB.cleanup();
      rmSync(baseB, { recursive: true, force: true });
    }
  });

  it("a socket directory inside the workspace (where a pane could replace it) is refused: DAEMON_UNAVAILABLE, nothing starts", async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "required" },
    });
    const d = testDaemons(ws, { runtimeBase: (ws as TestWorkspace).root });
    daemons = d;
    const client = await d.connect();
    clients.push(client);
    const result = await client.call("list_panes");
    expect(textOf(result)).toMatch(/^DAEMON_UNAVAILABLE: /);
    expect(JSON.stringify(result)).toMatch(/overlap, so panes could replace the socket directory/);
    expect(d.daemonPid()).toBeUndefined();
  });

  it("a pane's detached process (double fork, setsid) does not outlive ccmux daemon stop to reach the next daemon", async () => {
    const d = setup("off");
    const client = await connect();
    const { pane } = await client.ok<{ pane: string }>("spawn", { command: BASH });
    const marker = `${7000 + (process.pid % 1000)}3`;
    await client.ok("send_keys", {
      pane,
      text: `(setsid sleep ${marker} &) ; echo "forked-$((1))"`,
      submit: true,
      wait: { text: "forked-1" },
    });
    await eventually(() => processesWith(`sleep ${marker}`).length === 1);
    const stop = d.cli(["daemon", "stop", "--config", (ws as TestWorkspace).policyPath]);
    expect(stop.status, stop.stderr).toBe(0);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });

  it("a pane of the same uid cannot read the bridge's or the daemon's descriptors, memory or environment (pidfd_getfd, /proc)", async () => {
    const { d, client } = await unsandboxedAsDaemonUser("victim");
    const { pane } = await client.ok<{ pane: string }>("spawn", { command: BASH });
    const bridge = client.serverPid;
    const daemon = d.daemonPid() as number;
    const probe = [
      `ls /proc/${bridge}/fd >/dev/null 2>&1; echo "bridge-fd-$?"`,
      `cat /proc/${daemon}/environ >/dev/null 2>&1; echo "daemon-env-$?"`,
      `ls /proc/$$/fd >/dev/null 2>&1; echo "own-fd-$?"`,
    ].join("; ");
    const answer = await client.ok<{ wait: { text: string } }>("send_keys", {
      pane,
      text: probe,
      submit: true,
      wait: { regex: "own-fd-\\d" },
    });
    expect(answer.wait.text).toMatch(/bridge-fd-[12]/);
    expect(answer.wait.text).toMatch(/daemon-env-1/);
    // Control: the pane reads its own.
    expect(answer.wait.text).toMatch(/own-fd-0/);
  });

  it.runIf(AS_ROOT)(
    "a pane of the same uid cannot take over a person's ccmux attach (its descriptors, memory and environment are closed)",
    async () => {
      const { d, client } = await unsandboxedAsDaemonUser("victim");
      const { pane } = await client.ok<{ pane: string }>("spawn", { command: BASH, name: "shell" });
      // The person, as the daemon's (and the pane's) user, attaches from a terminal of their own.
      const asPerson = unprivilegedServer(ws as TestWorkspace, join((ws as TestWorkspace).dir, "run"));
      const terminal = await TmuxTerminal.start({
        command: [
          ...asPerson,
          process.execPath,
          CLI,
          "attach",
          "--config",
          (ws as TestWorkspace).policyPath,
          "--session",
          "victim",
          "--escape-key",
          "C-a",
          "--write",
          pane,
        ],
        env: d.env,
        cols: 100,
        rows: 30,
      });
      terminals.push(terminal);
      await terminal.waitFor("READ-WRITE", { what: "the person's attach" });
      // The window's process: setpriv, which exec'd node running attach.
      const attach = Number(await terminal.format("#{pane_pid}"));
      expect(readFileSync(`/proc/${attach}/cmdline`, "utf8")).toContain("\0attach\0");
      const probe = [
        `ls /proc/${attach}/fd >/dev/null 2>&1; echo "attach-fd-$?"`,
        `cat /proc/${attach}/environ >/dev/null 2>&1; echo "attach-env-$?"`,
        `ls /proc/$$/fd >/dev/null 2>&1; echo "own-fd-$?"`,
      ].join("; ");
      await terminal.sendKeys("C-a", "w");
      await terminal.waitFor(/ read-only │ /, { what: "write released for the agent's probe" });
      const answer = await client.ok<{ wait: { text: string } }>("send_keys", {
        pane,
        text: probe,
        submit: true,
        wait: { regex: "own-fd-\\d" },
      });
      expect(answer.wait.text).toMatch(/attach-fd-[12]/);
      expect(answer.wait.text).toMatch(/attach-env-1/);
      expect(answer.wait.text).toMatch(/own-fd-0/);
    },
  );

  it.skipIf(!existsSync("/usr/bin/strace"))(
    "a bridge, daemon or attach started under a tracer (ptrace attached before it turned non-dumpable) refuses to run",
    async () => {
      const d = setup();
      for (const args of [
        ["serve", "--daemon", "--config", (ws as TestWorkspace).policyPath],
        ["daemon", "--config", (ws as TestWorkspace).policyPath],
        ["attach", "--config", (ws as TestWorkspace).policyPath, "--write", "any-pane"],
      ]) {
        const run = spawnSync("/usr/bin/strace", ["-f", "-o", "/dev/null", process.execPath, CLI, ...args], {
          env: d.env,
          input: "",
          encoding: "utf8",
          timeout: 60_000,
        });
        expect(run.status, run.stderr).toBe(1);
        expect(run.stderr).toMatch(/is tracing this one \(ptrace\); refusing to run/);
      }
      expect(d.daemonPid()).toBeUndefined();
    },
  );

  it.runIf(AS_ROOT)(
    "a pane of a root daemon (running as nobody) cannot reach the socket: its directory is closed",
    async () => {
      const d = setup("off");
      const client = await connect();
      const { pane } = await client.ok<{ pane: string }>("spawn", { command: BASH });
      await client.ok("send_keys", {
        pane,
        text: "echo ready-$((1))",
        submit: true,
        wait: { text: "ready-1" },
      });
      const socketName = readdirSync(d.socketDir).find((n) => n.endsWith(".sock")) as string;
      const answer = await client.ok<{ wait: { text: string } }>("send_keys", {
        pane,
        text: `ls ${d.socketDir} >/dev/null 2>&1; echo "ls-rc-$?"; : > ${join(d.socketDir, socketName)} 2>/dev/null; echo "open-rc-$?"`,
        submit: true,
        wait: { regex: "open-rc-\\d" },
      });
      expect(answer.wait.text).toMatch(/ls-rc-2/);
      expect(answer.wait.text).toMatch(/open-rc-1/);
    },
  );
});

describe("a client flooding the daemon's socket", () => {
  let ws: TestWorkspace | undefined;
  let daemons: TestDaemons | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await daemons?.stopAll();
    ws?.cleanup();
    ws = undefined;
    daemons = undefined;
  });

  /** A raw connection to the daemon that says `hello` and resolves with the daemon's one-line answer. */
  async function hello(path: string, line: string): Promise<Record<string, unknown>> {
    const socket = connectSocket(path);
    sockets.push(socket);
    socket.write(`${line}\n`);
    // Read with a listener: leaving a for-await loop would destroy the socket, and the client with it.
    const text = await new Promise<string>((resolve, reject) => {
      let got = "";
      socket.on("data", (chunk: Buffer) => {
        got += chunk.toString("utf8");
        if (got.includes("\n")) resolve(got);
      });
      socket.once("error", reject);
      socket.once("close", () => resolve(got));
    });
    return JSON.parse(text.split("\n")[0] as string) as Record<string, unknown>;
  }

  it(`past ${MAX_CLIENTS} clients the next is refused with LIMIT_EXCEEDED, and served again once one leaves; refusals do not flood the log`, async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "off" },
    });
    daemons = testDaemons(ws);
    const first = await daemons.connect("flood");
    await first.ok("list_panes");
    const path = daemons.socketPath() as string;
    const connect = JSON.stringify({ ccmux: 1, op: "connect", session: "flood" });
    // The bridge above is one client; fill the rest.
    const answers = await Promise.all(Array.from({ length: MAX_CLIENTS - 1 }, () => hello(path, connect)));
    expect(answers.every((a) => a.ok === true)).toBe(true);
    const refused = await hello(path, connect);
    expect(refused).toMatchObject({ ok: false, code: "LIMIT_EXCEEDED" });
    let refusals = 1;
    // Half the clients leave: the daemon serves again.
    for (const socket of sockets.splice(0, 40)) socket.destroy();
    for (let served = false; !served; ) {
      const answer = await hello(path, connect);
      (sockets.pop() as Socket).destroy();
      served = answer.ok === true;
      if (!served) refusals += 1;
    }
    // Garbage hellos are refused too, and past 20 refusals a minute they are only counted.
    for (let i = 0; i < 30; i++) {
      expect(await hello(path, "not a hello")).toMatchObject({ ok: false, code: "INVALID_ARGUMENT" });
      (sockets.pop() as Socket).destroy();
      refusals += 1;
    }
    // The bridge's own session still works.
    expect((await first.ok<{ panes: unknown[] }>("list_panes")).panes).toEqual([]);
    const during = readAudit(ws.auditPath).filter((r) => r.event === "connect" && r.decision === "deny");
    expect(during.length).toBeLessThanOrEqual(20);
    expect(during.some((r) => r.code === "LIMIT_EXCEEDED")).toBe(true);
    await first.close();
    // At stop the refusals only counted are written: every refusal is accounted for, one by one or in a count.
    for (const socket of sockets.splice(0)) socket.destroy();
    expect(daemons.cli(["daemon", "stop", "--config", ws.policyPath]).status).toBe(0);
    const denied = readAudit(ws.auditPath).filter((r) => r.event === "connect" && r.decision === "deny");
    const counted = denied.reduce(
      (sum, r) => sum + (typeof r.alsoRefused === "number" ? r.alsoRefused : 1),
      0,
    );
    expect(counted).toBe(refusals);
  });
});
