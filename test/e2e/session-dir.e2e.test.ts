import { existsSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AS_ROOT,
  eventually,
  makeWorkspace,
  processGone,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

describe("private session directories from the policy (seed §1.1)", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [
        { command: "env", args: [""], sessionDir: { env: "CLAUDE_CONFIG_DIR" } },
        { command: "printenv", args: ["*"], sessionDir: { env: "TOOL_STATE", keep: true } },
      ],
      env: { pass: ["PATH"], fromAgent: ["CLAUDE_CONFIG_DIR"] },
    });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("each pane gets a fresh 0700 directory under the per-user base, named in its variable, removed on kill", async () => {
    const a = await mcp.ok<{ pane: string; sessionDir: string }>("spawn", {
      command: "env",
      env: { CLAUDE_CONFIG_DIR: "/home/victim/.claude" },
    });
    const b = await mcp.ok<{ pane: string; sessionDir: string }>("spawn", { command: "env" });
    expect(a.sessionDir).not.toBe(b.sessionDir);
    // A root server's pane user cannot pass root's state directory: its panes' directories live in a fresh
    // search-only base instead.
    const base = AS_ROOT ? "/var/tmp/ccmux-sessions-" : `${join(ws.dir, "xdg-state", "ccmux", "sessions")}/`;
    expect(a.sessionDir.startsWith(base)).toBe(true);
    if (AS_ROOT) expect(statSync(dirname(a.sessionDir)).mode & 0o777).toBe(0o711);
    expect(statSync(a.sessionDir).mode & 0o777).toBe(0o700);
    await mcp.ok("wait_for", { pane: a.pane, exit: true, timeout_ms: 10_000 });
    const { text } = await mcp.ok<{ text: string }>("read_pane", { pane: a.pane, mode: "scrollback" });
    // The agent's own value for the variable does not win over the policy's directory.
    expect(text).toContain(`CLAUDE_CONFIG_DIR=${a.sessionDir}`);
    expect(text).not.toContain("/home/victim");
    await mcp.ok("kill_pane", { pane: a.pane });
    await mcp.ok("kill_pane", { pane: b.pane });
    expect(existsSync(a.sessionDir)).toBe(false);
    expect(existsSync(b.sessionDir)).toBe(false);
    expect(readAudit(ws.auditPath).some((r) => r.sessionDir === a.sessionDir)).toBe(true);
  });

  it("keep: true leaves the directory after the pane is killed", async () => {
    const c = await mcp.ok<{ pane: string; sessionDir: string }>("spawn", { command: "printenv TOOL_STATE" });
    await mcp.ok("wait_for", { pane: c.pane, exit: true, timeout_ms: 10_000 });
    const { text } = await mcp.ok<{ text: string }>("read_pane", { pane: c.pane });
    expect(text).toBe(c.sessionDir);
    await mcp.ok("kill_pane", { pane: c.pane });
    expect(statSync(c.sessionDir).isDirectory()).toBe(true);
  });

  it.skipIf(!AS_ROOT)("a root server's kept session directory outlives the server", async () => {
    const d = await mcp.ok<{ pane: string; sessionDir: string }>("spawn", { command: "printenv TOOL_STATE" });
    const pid = mcp.serverPid;
    await mcp.close();
    await eventually(() => processGone(pid));
    expect(statSync(d.sessionDir).isDirectory()).toBe(true);
    rmSync(dirname(d.sessionDir), { recursive: true, force: true });
  });
});

describe.skipIf(!AS_ROOT)("a root server's session base", () => {
  it("is removed at stop when no kept directory remains (the sandbox's scratch file included)", async () => {
    const ws = makeWorkspace({
      commands: [{ command: "env", args: [""], sessionDir: { env: "TOOL_STATE" } }],
      env: { pass: ["PATH"] },
    });
    try {
      const mcp = await serveWorkspace(ws);
      const { pane, sessionDir } = await mcp.ok<{ pane: string; sessionDir: string }>("spawn", {
        command: "env",
      });
      await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
      await mcp.ok("kill_pane", { pane });
      const pid = mcp.serverPid;
      await mcp.close();
      await eventually(() => processGone(pid));
      expect(existsSync(dirname(sessionDir))).toBe(false);
    } finally {
      ws.cleanup();
    }
  });
});
