import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  giveToPanes,
  makeWorkspace,
  processesWith,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";
import { attack, runInShell } from "../support/shell-pane.js";

const SHELL = "bash --norc --noprofile";

/** True once `pid` is in the foreground process group of its terminal (job control handed it the tty). */
function inForeground(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[2] === fields[5]; // pgrp === tpgid
  } catch {
    return false;
  }
}

async function onlyProcess(marker: string): Promise<number> {
  return eventually(() => {
    const pids = processesWith(marker);
    return pids.length === 1 ? pids[0] : undefined;
  });
}

describe("a sandboxed interactive shell keeps job control", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  let pane: string;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "required" },
    });
    mcp = await serveWorkspace(ws);
    const spawned = await mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", { command: SHELL });
    expect(spawned.sandboxed).toBe(true);
    pane = spawned.pane;
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("runs a job in the background, lists it, brings it to the foreground and interrupts it with C-c", async () => {
    const started = await runInShell(mcp, pane, "sleep 4711 &");
    expect(started).toMatch(/\[1\] \d+/);
    expect(await runInShell(mcp, pane, "jobs")).toMatch(/\[1\]\+\s+Running\s+sleep 4711 &/);
    const sleeper = await onlyProcess("sleep 4711");
    await mcp.ok("send_keys", { pane, text: "fg\n" });
    await eventually(() => inForeground(sleeper));
    await mcp.ok("send_keys", { pane, keys: ["C-c"] });
    await eventually(() => processesWith("sleep 4711").length === 0);
    expect(await runInShell(mcp, pane, "echo status=$?")).toContain("status=130");
  });

  it("stops a foreground job with C-z and keeps it as a stopped job", async () => {
    await mcp.ok("send_keys", { pane, text: "sleep 4712\n" });
    const sleeper = await onlyProcess("sleep 4712");
    await eventually(() => inForeground(sleeper));
    await mcp.ok("send_keys", { pane, keys: ["C-z"] });
    await mcp.ok("wait_for", { pane, regex: "Stopped\\s+sleep 4712", timeout_ms: 10_000 });
    expect(await runInShell(mcp, pane, "jobs")).toMatch(/\[1\]\+\s+Stopped\s+sleep 4712/);
    await runInShell(mcp, pane, "kill -9 %1");
    await eventually(() => processesWith("sleep 4712").length === 0);
  });
});

describe("session directories under the sandbox (seed §1.1)", () => {
  for (const mode of ["off", "required"] as const) {
    const sandboxed = mode === "required";
    describe(sandboxed ? "sandboxed: hardlinks cannot cross" : "unsandboxed control: hardlinks cross", () => {
      let ws: TestWorkspace;
      let mcp: Served;
      beforeAll(async () => {
        ws = makeWorkspace({
          commands: [
            {
              command: "bash",
              args: ["--norc --noprofile"],
              input: "raw",
              sessionDir: { env: "CLAUDE_CONFIG_DIR" },
            },
          ],
          sandbox: { mode },
        });
        writeFileSync(join(ws.root, "notes.txt"), "workspace file\n");
        giveToPanes(ws.root);
        mcp = await serveWorkspace(ws);
      });
      afterAll(async () => {
        await mcp?.close();
        ws?.cleanup();
      });

      it("a hardlink escape between the session directory and the workspace", async () => {
        const { pane, sessionDir } = await mcp.ok<{ pane: string; sessionDir: string }>("spawn", {
          command: SHELL,
        });
        const text = await runInShell(
          mcp,
          pane,
          `echo creds > "$CLAUDE_CONFIG_DIR/creds"; ${attack("link", "out", `${sessionDir}/creds`, join(ws.root, "stolen"))}; ${attack("link", "in", join(ws.root, "notes.txt"), `${sessionDir}/planted`)}`,
        );
        if (sandboxed) {
          expect(text).toContain("out:DENIED-EXDEV");
          expect(text).toContain("in:DENIED-EXDEV");
          expect(existsSync(join(ws.root, "stolen"))).toBe(false);
        } else {
          expect(text).toContain("out:OK");
          expect(text).toContain("in:OK");
        }
        await mcp.ok("kill_pane", { pane });
      });

      it("another pane's session directory", async () => {
        const victim = await mcp.ok<{ pane: string; sessionDir: string }>("spawn", { command: SHELL });
        await runInShell(mcp, victim.pane, 'echo victim-token > "$CLAUDE_CONFIG_DIR/token"');
        const attacker = await mcp.ok<{ pane: string }>("spawn", { command: SHELL });
        const text = await runInShell(
          mcp,
          attacker.pane,
          attack("read", "other-session", `${victim.sessionDir}/token`),
        );
        if (sandboxed) expect(text).toContain("other-session:DENIED-ENOENT");
        else expect(text).toContain("other-session:OK victim-token");
        // Its own directory is there and writable in both cases.
        expect(
          await runInShell(
            mcp,
            attacker.pane,
            'echo own > "$CLAUDE_CONFIG_DIR/own" && cat "$CLAUDE_CONFIG_DIR/own"',
          ),
        ).toMatch(/^own$/m);
        await mcp.ok("kill_pane", { pane: victim.pane });
        await mcp.ok("kill_pane", { pane: attacker.pane });
      });
    });
  }
});

describe("the policy's sandbox lists", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  let home: string;
  let pane: string;
  beforeAll(async () => {
    home = mkdtempSync("/var/tmp/ccmux-home-");
    mkdirSync(join(home, ".aws"));
    writeFileSync(join(home, ".aws", "credentials"), "aws-visible-when-exposed\n");
    mkdirSync(join(home, "vault"));
    writeFileSync(join(home, "vault", "secret.txt"), "vault-content\n");
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      env: { pass: ["PATH", "HOME"] },
      sandbox: { mode: "required", hide: ["~/vault"], expose: ["~/.aws"], readOnly: ["deploy/", "Makefile"] },
    });
    // The policy file itself inside the workspace: a pane must not be able to widen its own policy.
    const policy = JSON.parse(readFileSync(ws.policyPath, "utf8")) as Record<string, unknown>;
    policy.workspace = ["."];
    policy.audit = { path: join(ws.root, "audit", "audit.jsonl") };
    const policyInside = join(ws.root, "ccmux.json");
    writeFileSync(policyInside, JSON.stringify(policy));
    mkdirSync(join(ws.root, "deploy"));
    writeFileSync(join(ws.root, "Makefile"), "all:\n\ttrue\n");
    giveToPanes(home, ws.root);
    // The server's (0711: a root server's pane user may pass, so the sandbox alone hides the log in it).
    mkdirSync(join(ws.root, "audit"), { mode: 0o711 });
    // Something in the state directory for the pane not to see (a root server keeps session dirs elsewhere).
    mkdirSync(join(home, "state", "ccmux"), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, "state", "ccmux", "planted"), "state\n");
    ws.policyPath = policyInside;
    // State outside /tmp (every sandbox has a private /tmp): only the always-hidden list can hide it.
    mcp = await serveWorkspace(ws, { HOME: home, XDG_STATE_HOME: join(home, "state") });
    pane = (await mcp.ok<{ pane: string }>("spawn", { command: SHELL })).pane;
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it("hides what sandbox.hide adds and shows what sandbox.expose takes from the defaults", async () => {
    const text = await runInShell(
      mcp,
      pane,
      `${attack("read", "vault", join(home, "vault", "secret.txt"))}; ${attack("read", "aws", join(home, ".aws", "credentials"))}`,
    );
    expect(text).toContain("vault:DENIED-ENOENT");
    expect(text).toContain("aws:OK aws-visible-when-exposed");
  });

  it("keeps sandbox.readOnly paths, the policy file and its directory chain unchangeable", async () => {
    const text = await runInShell(
      mcp,
      pane,
      [
        attack("write", "deploy", join(ws.root, "deploy", "run.sh"), "evil"),
        attack("write", "makefile", join(ws.root, "Makefile"), "evil"),
        attack("write", "policy", join(ws.root, "ccmux.json"), "{}"),
        attack("rename", "policy-swap", join(ws.root, "ccmux.json"), join(ws.root, "old.json")),
      ].join("; "),
    );
    expect(text).toContain("deploy:DENIED-EROFS");
    expect(text).toContain("makefile:DENIED-EROFS");
    expect(text).toContain("policy:DENIED-EROFS");
    expect(text).toContain("policy-swap:DENIED-EBUSY");
    // It lies directly in a workspace root, where only a mount on the file itself protects it: the person is told.
    expect(mcp.stderr()).toContain("lies directly in a workspace root");
    expect(readFileSync(join(ws.root, "ccmux.json"), "utf8")).toContain("commands");
  });

  it("hides the audit log even inside the workspace, and ccmux's state directory", async () => {
    const text = await runInShell(
      mcp,
      pane,
      `${attack("read", "audit", join(ws.root, "audit", "audit.jsonl"))}; ls -A ${join(home, "state", "ccmux")} | wc -l`,
    );
    // Its whole directory is hidden: a mount on the file would not cover the live log after a rotation.
    expect(text).toContain("audit:DENIED-ENOENT");
    expect(readFileSync(join(ws.root, "audit", "audit.jsonl"), "utf8")).toContain('"tool":"spawn"');
    expect(existsSync(join(home, "state", "ccmux", "planted"))).toBe(true); // on the host, not in the pane
    expect(text).toMatch(/^0$/m);
  });

  it("holding the audit log's lock from a pane (to stall every call) never takes the real lock", async () => {
    const lock = join(ws.root, "audit", "audit.jsonl.lock");
    // The log's directory is hidden: at most a lock file of the pane's own tmpfs can be held.
    const text = await runInShell(
      mcp,
      pane,
      `(flock -x -n ${lock} -c 'echo "HELD-$((1+1))"; sleep 300' || echo "NOLOCK-$((2+2))") &`,
    );
    const { text: later } = await mcp.ok<{ text: string }>("wait_for", {
      pane,
      regex: "HELD-2|NOLOCK-4",
      timeout_ms: 10_000,
    });
    expect(`${text}${later}`).toMatch(/HELD-2|NOLOCK-4/);
    // The server still writes its records: the call is answered and audited.
    const { panes } = await mcp.ok<{ panes: unknown[] }>("list_panes");
    expect(panes.length).toBeGreaterThan(0);
    expect(readFileSync(join(ws.root, "audit", "audit.jsonl"), "utf8")).toContain('"tool":"list_panes"');
    await runInShell(mcp, pane, "kill %1 2>/dev/null; true");
  });
});

describe("sandbox.network: true gives the network back", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  let listener: Server;
  let port = 0;
  beforeAll(async () => {
    listener = createServer((socket) => socket.end());
    await new Promise<void>((done) => listener.listen(0, "127.0.0.1", done));
    const address = listener.address();
    port = typeof address === "object" && address ? address.port : 0;
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "required", network: true },
    });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    listener?.close();
    ws?.cleanup();
  });

  it("connects to a host listener from a sandboxed pane", async () => {
    const { pane, sandboxed } = await mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", {
      command: SHELL,
    });
    expect(sandboxed).toBe(true);
    const label = `net-${randomBytes(3).toString("hex")}`;
    expect(await runInShell(mcp, pane, attack("connect", label, "127.0.0.1", String(port)))).toContain(
      `${label}:OK`,
    );
  });
});
