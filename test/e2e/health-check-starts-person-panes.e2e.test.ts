import { afterEach, describe, expect, it } from "vitest";
import {
  eventually,
  makeWorkspace,
  processesWith,
  processGone,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

// Issue 11: every `claude mcp list` health check (initialize, tools/list, close) started the policy's person
// panes and killed them again: a dev server or test watcher was started and stopped each time a person looked at
// their MCP servers. Person panes now start with the first tool call.
const MARK = "sleep 7411";
const PERSON = `sh -c 'echo person-pane-up; exec ${MARK}'`;

let ws: TestWorkspace | undefined;
let mcp: Served | undefined;
afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
  ws?.cleanup();
  ws = undefined;
});

const personStarts = (path: string) =>
  readAudit(path).filter((record) => record.event === "start" && record.name === "devserver");

describe.each(["required", "off"] as const)("person panes start on first use (sandbox %s)", (mode) => {
  function workspace(): TestWorkspace {
    return makeWorkspace({
      commands: [{ command: "echo", args: ["**"] }],
      panes: [{ name: "devserver", command: PERSON, access: "read" }],
      sandbox: { mode },
    });
  }

  it("a health check (initialize, tools/list, close) starts no person pane process", async () => {
    ws = workspace();
    mcp = await serveWorkspace(ws);
    const { tools } = await mcp.client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    // Before the fix the panes were started before the server answered initialize: they would be running now.
    expect(processesWith(MARK)).toEqual([]);
    const pid = mcp.serverPid;
    await mcp.close();
    mcp = undefined;
    await eventually(() => processGone(pid));
    const log = readAudit(ws.auditPath);
    expect(log.at(-1)).toMatchObject({ event: "stop" });
    expect(personStarts(ws.auditPath)).toEqual([]);
    expect(log.filter((record) => record.event === "call")).toEqual([]);
  });

  it("the first tool call starts them before it runs, once; they behave as before", async () => {
    ws = workspace();
    mcp = await serveWorkspace(ws);
    await mcp.client.listTools();
    expect(processesWith(MARK)).toEqual([]);
    const { panes } = await mcp.ok<{ panes: Array<{ pane: string; name: string; access: string }> }>(
      "list_panes",
    );
    expect(panes.map((pane) => [pane.name, pane.access])).toEqual([["devserver", "read"]]);
    const pane = panes[0]?.pane as string;
    const waited = await mcp.ok<{ matched: boolean }>("wait_for", {
      pane,
      text: "person-pane-up",
      timeout_ms: 10_000,
    });
    expect(waited.matched).toBe(true);
    expect(processesWith(MARK).length).toBeGreaterThan(0);
    await mcp.refused("kill_pane", { pane }, "PANE_FORBIDDEN");
    // Started once, audited before the call that started it, whatever calls follow.
    await mcp.ok("list_panes");
    const log = readAudit(ws.auditPath);
    const start = log.findIndex((record) => record.event === "start" && record.name === "devserver");
    const firstCall = log.findIndex((record) => record.event === "call");
    expect(start).toBeGreaterThan(-1);
    expect(start).toBeLessThan(firstCall);
    expect(personStarts(ws.auditPath)).toHaveLength(1);
    const pid = mcp.serverPid;
    await mcp.close();
    mcp = undefined;
    await eventually(() => processGone(pid));
    await eventually(() => processesWith(MARK).length === 0);
  });

  it("a refused first call starts them too (the client is in use, not just looking)", async () => {
    ws = workspace();
    mcp = await serveWorkspace(ws);
    await mcp.refused("spawn", { command: "cat /etc/passwd" }, "COMMAND_NOT_ALLOWED");
    await eventually(() => processesWith(MARK).length > 0);
    expect(personStarts(ws.auditPath)).toEqual([expect.objectContaining({ decision: "info" })]);
  });
});
