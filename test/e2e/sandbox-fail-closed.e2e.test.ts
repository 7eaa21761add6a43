import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  eventually,
  makeWorkspace,
  processesWith,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * A server PATH holding only `sleep` (and, when given, a stand-in for bwrap): the real bubblewrap is then
 * unavailable to the server exactly as on a machine without it.
 */
function pathWithout(ws: TestWorkspace, fakeBwrap?: string): string {
  const bin = join(ws.dir, "bin");
  mkdirSync(bin);
  symlinkSync("/usr/bin/sleep", join(bin, "sleep"));
  if (fakeBwrap !== undefined) {
    writeFileSync(join(bin, "bwrap"), fakeBwrap);
    chmodSync(join(bin, "bwrap"), 0o755);
  }
  return bin;
}

describe("sandbox.mode required fails closed", () => {
  let ws: TestWorkspace | undefined;
  let mcp: Served | undefined;
  afterEach(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("bubblewrap missing: spawn is refused with SANDBOX_UNAVAILABLE, audited, and nothing runs", async () => {
    ws = makeWorkspace({ commands: [{ command: "sleep", args: ["*"] }], sandbox: { mode: "required" } });
    mcp = await serveWorkspace(ws, { PATH: pathWithout(ws) });
    const message = await mcp.refused("spawn", { command: "sleep 7301" }, "SANDBOX_UNAVAILABLE");
    expect(message).toContain("apt-get install bubblewrap");
    expect(processesWith("sleep 7301")).toEqual([]);
    const denial = readAudit(ws.auditPath).find((r) => r.tool === "spawn");
    expect(denial).toMatchObject({ decision: "deny", code: "SANDBOX_UNAVAILABLE" });
    expect(
      String((denial?.detail as { reason?: string } | undefined)?.reason ?? JSON.stringify(denial)),
    ).toMatch(/not installed/);
    expect(mcp.stderr()).toMatch(/WARNING: the pane sandbox is unavailable.*SANDBOX_UNAVAILABLE/);
    // The server is still up and answering.
    expect((await mcp.ok<{ panes: unknown[] }>("list_panes")).panes).toEqual([]);
  });

  it("bubblewrap that cannot build the sandbox: spawn is refused and the program never reaches it", async () => {
    ws = makeWorkspace({ commands: [{ command: "sleep", args: ["*"] }], sandbox: { mode: "required" } });
    const calls = join(ws.dir, "bwrap-calls.txt");
    const fake = `#!/bin/sh\necho "$@" >> ${calls}\necho "bwrap: Creating new namespace failed: Operation not permitted" >&2\nexit 1\n`;
    mcp = await serveWorkspace(ws, { PATH: pathWithout(ws, fake) });
    const message = await mcp.refused("spawn", { command: "sleep 7302" }, "SANDBOX_UNAVAILABLE");
    expect(message).toContain("cannot be built");
    expect(processesWith("sleep 7302")).toEqual([]);
    // bwrap was only ever asked to run the probe, never the agent's program.
    const asked = readFileSync(calls, "utf8");
    expect(asked).toContain("/true");
    expect(asked).not.toContain("7302");
    expect(JSON.stringify(readAudit(ws.auditPath))).toContain("Creating new namespace failed");
  });

  it("omitting sandbox.mode means required", async () => {
    ws = makeWorkspace({ commands: [{ command: "sleep", args: ["*"] }] });
    mcp = await serveWorkspace(ws, { PATH: pathWithout(ws) });
    await mcp.refused("spawn", { command: "sleep 7303" }, "SANDBOX_UNAVAILABLE");
    expect(processesWith("sleep 7303")).toEqual([]);
  });
});

describe("sandbox.mode auto and off run unsandboxed, loudly", () => {
  let ws: TestWorkspace | undefined;
  let mcp: Served | undefined;
  afterEach(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("auto without bubblewrap: the pane runs with sandboxed: false, a stderr warning and an audit record", async () => {
    ws = makeWorkspace({ commands: [{ command: "sleep", args: ["*"] }], sandbox: { mode: "auto" } });
    mcp = await serveWorkspace(ws, { PATH: pathWithout(ws) });
    const spawned = await mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", { command: "sleep 7304" });
    expect(spawned.sandboxed).toBe(false);
    const { panes } = await mcp.ok<{ panes: Array<{ sandboxed: boolean }> }>("list_panes");
    expect(panes[0]?.sandboxed).toBe(false);
    expect(mcp.stderr()).toMatch(/WARNING: pane runs UNSANDBOXED \(sandbox.mode auto\)/);
    const allow = readAudit(ws.auditPath).find((r) => r.tool === "spawn" && r.decision === "allow");
    expect(allow).toMatchObject({ sandboxed: false });
    expect(String(allow?.warning)).toContain("UNSANDBOXED");
    await mcp.ok("kill_pane", { pane: spawned.pane });
  });

  it("auto with bubblewrap present sandboxes", async () => {
    ws = makeWorkspace({ commands: [{ command: "sleep", args: ["*"] }], sandbox: { mode: "auto" } });
    mcp = await serveWorkspace(ws);
    const spawned = await mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", { command: "sleep 7305" });
    expect(spawned.sandboxed).toBe(true);
    expect(mcp.stderr()).not.toContain("UNSANDBOXED");
    await mcp.ok("kill_pane", { pane: spawned.pane });
  });

  it("off: panes are unsandboxed and the server says so at start", async () => {
    ws = makeWorkspace({ commands: [{ command: "sleep", args: ["*"] }], sandbox: { mode: "off" } });
    mcp = await serveWorkspace(ws);
    const spawned = await mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", { command: "sleep 7306" });
    expect(spawned.sandboxed).toBe(false);
    expect(mcp.stderr()).toContain("sandbox.mode is off");
    expect(readAudit(ws.auditPath).find((r) => r.event === "start")).toMatchObject({
      sandbox: { mode: "off" },
    });
    expect(existsSync(ws.auditPath)).toBe(true);
    await mcp.ok("kill_pane", { pane: spawned.pane });
  });
});

describe("person panes under the sandbox", () => {
  let ws: TestWorkspace | undefined;
  let mcp: Served | undefined;
  afterEach(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("a person pane whose cwd is under /tmp outside the workspace is refused at start, loudly, not left to die", async () => {
    ws = makeWorkspace({
      panes: [{ name: "tmp-pane", command: "sleep 7307", cwd: ".", access: "read" }],
      sandbox: { mode: "required" },
    });
    mcp = await serveWorkspace(ws);
    // Person panes start with the first tool call (issue 11: a health check starts none).
    const { panes } = await mcp.ok<{ panes: unknown[] }>("list_panes");
    expect(panes).toEqual([]);
    await eventually(() =>
      /person pane "tmp-pane" did not start: .*private in the sandbox/.test(mcp?.stderr() ?? ""),
    );
    expect(readAudit(ws.auditPath).find((r) => r.event === "start" && r.name === "tmp-pane")).toMatchObject({
      decision: "error",
      code: "SPAWN_FAILED",
    });
    expect(processesWith("sleep 7307")).toEqual([]);
  });
});
