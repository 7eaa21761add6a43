import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { daemonFiles } from "../../src/daemon/daemon-files.js";
import { daemonFixture } from "../support/daemon-harness.js";
import { readAudit, textOf } from "../support/mcp-harness.js";

/**
 * The first bridge of a policy starts its daemon without compiling the policy (the daemon compiles it, and refuses
 * to start on one that does not validate): a bridge stays small (issue 16). What the client sees when the daemon
 * cannot start must stay what it was: the policy's problems, or why the daemon is unavailable.
 */
const BASH = { command: "bash", args: ["--norc --noprofile"], input: "raw" };

describe("a bridge that starts its policy's daemon", () => {
  const fixture = daemonFixture();

  it("a policy that does not validate: every call is refused with POLICY_INVALID and its problems, and no daemon runs", async () => {
    const { ws, daemons } = fixture.start({ commands: [BASH], sandbox: { mode: "off" } });
    // Valid JSON with a good workspace: the bridge tries the daemon, which refuses the policy at its start.
    const policy = JSON.parse(readFileSync(ws.policyPath, "utf8")) as Record<string, unknown>;
    writeFileSync(ws.policyPath, JSON.stringify({ ...policy, limits: { maxPanes: "many" } }, null, 2));
    const client = await fixture.connect("broken");
    expect(client.client.getInstructions()).toContain("POLICY_INVALID");
    const result = await client.call("list_panes");
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^POLICY_INVALID: ccmux is not serving: the policy does not validate/);
    expect(JSON.stringify(result)).toContain("maxPanes");
    expect(daemons.daemonPid()).toBeUndefined();
    const refusals = readAudit(ws.auditPath).filter((r) => r.code === "POLICY_INVALID");
    expect(refusals.length).toBeGreaterThan(0);
  });

  it("a daemon that cannot open its audit log: DAEMON_UNAVAILABLE says why, after one try to start it", async () => {
    const { ws, daemons } = fixture.start({ commands: [BASH], sandbox: { mode: "off" } });
    // The policy validates; the daemon fails when it opens the log (a directory stands where the file goes).
    mkdirSync(ws.auditPath);
    const client = await fixture.connect("no-audit");
    const result = await client.call("list_panes");
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^DAEMON_UNAVAILABLE: /);
    expect(JSON.stringify(result)).toMatch(/the daemon exited \(1\)/);
    expect(daemons.daemonPid()).toBeUndefined();
    // The compiled path did not start the same failing daemon a second time.
    const { log } = daemonFiles(daemons.socketDir, ws.policyPath);
    expect(readFileSync(log, "utf8").match(/^ccmux daemon: .*AUDIT_UNAVAILABLE/gm)).toHaveLength(1);
  });

  it("a valid policy: the bridge starts the daemon and serves through it (control)", async () => {
    const { ws, daemons } = fixture.start({ commands: [BASH], sandbox: { mode: "off" } });
    const client = await fixture.connect("works");
    expect((await client.ok<{ panes: unknown[] }>("list_panes")).panes).toEqual([]);
    expect(daemons.daemonPid()).toBeGreaterThan(0);
    expect(existsSync(daemonFiles(daemons.socketDir, ws.policyPath).log)).toBe(true);
    expect(client.stderr()).toMatch(/serving MCP on stdio through the daemon \(pid \d+/);
  });
});
