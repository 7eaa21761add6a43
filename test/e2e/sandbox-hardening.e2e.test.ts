import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  giveToPanes,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
  unprivilegedServer,
} from "../support/mcp-harness.js";
import { attack, runInShell } from "../support/shell-pane.js";

/**
 * Attacks a security review found against the first version of the sandbox, each run against an unsandboxed
 * pane (the control: it works) and a sandboxed one (it must not).
 */
const SHELL = "bash --norc --noprofile";
const GIT = "git -c user.name=agent -c user.email=agent@example.invalid";

for (const mode of ["off", "required"] as const) {
  const sandboxed = mode === "required";
  describe(`sandbox hardening: ${sandboxed ? "fails in a sandboxed pane" : "works in an unsandboxed pane (control)"}`, () => {
    let ws: TestWorkspace;
    let mcp: Served;
    let home: string;
    let socketPath: string;
    let socketServer: Server;
    let homeSocketPath: string;
    let homeSocketServer: Server;
    let pane: string;
    beforeAll(async () => {
      home = mkdtempSync("/var/tmp/ccmux-home-");
      writeFileSync(join(home, ".netrc"), "machine old.example password old-secret\n");
      ws = makeWorkspace({
        commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
        env: { pass: ["PATH", "HOME", "LANG"] },
        sandbox: { mode },
      });
      mkdirSync(join(ws.root, ".git"));
      writeFileSync(join(ws.root, ".git", "config"), '[core]\n\thooksPath = ".githooks"\n');
      socketPath = `/run/ccmux-test-${randomBytes(4).toString("hex")}.sock`;
      socketServer = createServer((socket) => {
        socket.on("error", () => {}); // the probe hangs up at once
        socket.end("hello from the host\n");
      });
      await new Promise<void>((done) => socketServer.listen(socketPath, done));
      homeSocketPath = join(home, "agent.sock");
      homeSocketServer = createServer((socket) => {
        socket.on("error", () => {});
        socket.end("hello from the host\n");
      });
      await new Promise<void>((done) => homeSocketServer.listen(homeSocketPath, done));
      // Connecting to a unix socket takes write permission on it: open them, so only the sandbox stands between.
      for (const path of [socketPath, homeSocketPath]) chmodSync(path, 0o666);
      const wrapper = mode === "off" ? unprivilegedServer(ws, home) : [];
      if (mode !== "off") giveToPanes(ws.root, home);
      mcp = await serveWorkspace(ws, { HOME: home }, wrapper);
      pane = (await mcp.ok<{ pane: string }>("spawn", { command: SHELL })).pane;
    });
    afterAll(async () => {
      await mcp?.close();
      socketServer?.close();
      homeSocketServer?.close();
      ws?.cleanup();
      rmSync(home, { recursive: true, force: true });
    });

    it("a hidden file replaced on the host while the pane runs (a mount on the file would fall away)", async () => {
      const netrc = join(home, ".netrc");
      const before = await runInShell(mcp, pane, attack("read", "netrc-before", netrc));
      writeFileSync(`${netrc}.tmp`, "machine new.example password new-secret\n");
      renameSync(`${netrc}.tmp`, netrc); // as `git credential-store` or an editor saves
      const after = await runInShell(mcp, pane, attack("read", "netrc-after", netrc));
      if (sandboxed) {
        expect(before).toContain("netrc-before:DENIED-ENOENT");
        expect(after).toContain("netrc-after:DENIED-ENOENT");
        expect(after).not.toContain("new-secret");
      } else {
        expect(after).toContain("netrc-after:OK machine new.example password new-secret");
      }
    });

    it("a unix socket under /run or in a home directory (docker, database, agent sockets) is reachable despite a read-only system", async () => {
      const text = await runInShell(
        mcp,
        pane,
        `${attack("connect-unix", "run-socket", socketPath)}; ${attack("connect-unix", "home-socket", homeSocketPath)}`,
      );
      if (sandboxed) {
        expect(text).toContain("run-socket:DENIED-ENOENT");
        expect(text).toContain("home-socket:DENIED-ENOENT");
      } else {
        expect(text).toContain("run-socket:OK");
        expect(text).toContain("home-socket:OK");
      }
    });

    it("planting .git/commondir (git would take config and hooks from a directory the pane made)", async () => {
      const text = await runInShell(
        mcp,
        pane,
        attack("write", "commondir", join(ws.root, ".git", "commondir"), "../evil"),
      );
      if (sandboxed) {
        expect(text).toContain("commondir:DENIED-EROFS");
        expect(existsSync(join(ws.root, ".git", "commondir"))).toBe(false);
      } else {
        expect(text).toContain("commondir:OK");
      }
    });

    it("writing a hook into the directory core.hooksPath names, even before it exists", async () => {
      const hook = join(ws.root, ".githooks", "pre-commit");
      const text = await runInShell(
        mcp,
        pane,
        `mkdir -p ${join(ws.root, ".githooks")}; ${attack("write", "hookspath", hook, "evil")}`,
      );
      if (sandboxed) {
        expect(text).toContain("hookspath:DENIED-EROFS");
        expect(existsSync(hook)).toBe(false);
      } else {
        expect(text).toContain("hookspath:OK");
      }
    });
  });
}

describe("sandbox.gitWrites", () => {
  const servers: Array<{ ws: TestWorkspace; mcp: Served }> = [];
  /** A person's checkout with one commit, and a sandboxed shell in it. */
  async function repoAndShell(gitWrites: boolean): Promise<{ ws: TestWorkspace; mcp: Served; pane: string }> {
    const ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "required", gitWrites },
    });
    for (const args of [
      ["init", "-q"],
      ["commit", "-q", "--allow-empty", "-m", "person-commit"],
    ]) {
      const identity = ["-c", "user.name=p", "-c", "user.email=p@example.invalid", "-c", "safe.directory=*"];
      const run = spawnSync("git", [...identity, ...args], {
        cwd: ws.root,
      });
      if (run.status !== 0) throw new Error(`git ${args[0]} failed: ${run.stderr}`);
    }
    giveToPanes(ws.root);
    const mcp = await serveWorkspace(ws);
    servers.push({ ws, mcp });
    const pane = (await mcp.ok<{ pane: string }>("spawn", { command: SHELL })).pane;
    return { ws, mcp, pane };
  }
  const log = (ws: TestWorkspace): string =>
    // The repository may be nobody's (a root server's pane user): git would refuse it as dubious.
    spawnSync("git", ["-c", "safe.directory=*", "log", "--format=%s"], { cwd: ws.root, encoding: "utf8" })
      .stdout;
  afterAll(async () => {
    for (const { ws, mcp } of servers) {
      await mcp.close();
      ws.cleanup();
    }
  });

  it("by default a pane reads the repository but cannot commit (all of .git is read-only)", async () => {
    const { mcp, pane, ws } = await repoAndShell(false);
    const text = await runInShell(
      mcp,
      pane,
      `git log --format=%s; echo x > f.txt; ${GIT} add f.txt; ${GIT} commit -qm pane-commit`,
    );
    expect(text).toContain("person-commit");
    expect(text).toMatch(/Read-only file system/);
    expect(log(ws)).not.toContain("pane-commit");
  });

  it("with gitWrites a pane commits, while hooks and config stay read-only", async () => {
    const { mcp, pane, ws } = await repoAndShell(true);
    const text = await runInShell(
      mcp,
      pane,
      `echo x > f.txt; ${GIT} add f.txt; ${GIT} commit -qm pane-commit; ${attack("write", "gw-hook", join(ws.root, ".git", "hooks", "pre-commit"), "evil")}; ${attack("write", "gw-config", join(ws.root, ".git", "config"), "evil")}`,
    );
    expect(log(ws)).toContain("pane-commit");
    expect(text).toContain("gw-hook:DENIED-EROFS");
    expect(text).toContain("gw-config:DENIED-EROFS");
  });
});

describe("sandbox.mode auto never falls back to unsandboxed over the workspace's own layout", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "auto" },
    });
    mkdirSync(join(ws.dir, "real-git"));
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("a symlinked .git a pane plants neither refuses later spawns nor makes auto fall back to unsandboxed", async () => {
    const first = await mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", { command: SHELL });
    expect(first.sandboxed).toBe(true);
    // What a pane could do to stop every later spawn (issue 9 item 7), or make it fall back were layout
    // problems taken for a missing bwrap.
    symlinkSync(join(ws.dir, "real-git"), join(ws.root, ".git"));
    const second = await mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", { command: SHELL });
    expect(second.sandboxed).toBe(true);
    expect(mcp.stderr()).not.toContain("UNSANDBOXED");
  });
});
