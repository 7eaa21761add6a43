import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

const SHELL = "bash --norc --noprofile -c 'echo started-$0; exec cat'";

describe("person panes: access read / write / none", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [],
      panes: [
        { name: "ro", command: SHELL, access: "read" },
        { name: "rw", command: SHELL, access: "write" },
        { name: "hidden", command: SHELL, access: "none" },
      ],
    });
    mcp = await serveWorkspace(ws);
    const { panes } = await mcp.ok<{
      panes: Array<{ pane: string; name: string; access: string; owner: string }>;
    }>("list_panes");
    for (const pane of panes) ids[pane.name] = pane.pane;
    expect(panes.map((pane) => [pane.name, pane.owner, pane.access])).toEqual([
      ["ro", "person", "read"],
      ["rw", "person", "write"],
      ["hidden", "person", "none"],
    ]);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("read access: read and wait are allowed, typing and killing are PANE_FORBIDDEN", async () => {
    await mcp.ok("wait_for", { pane: ids.ro, text: "started-", timeout_ms: 10_000 });
    await mcp.ok("read_pane", { pane: ids.ro });
    await mcp.refused("send_keys", { pane: ids.ro, text: "x", submit: true }, "PANE_FORBIDDEN");
    await mcp.refused("kill_pane", { pane: ids.ro }, "PANE_FORBIDDEN");
  });

  it("write access: the agent may type into the pane", async () => {
    await mcp.ok("send_keys", { pane: ids.rw, text: "typed-by-agent", submit: true });
    const waited = await mcp.ok<{ matched: boolean }>("wait_for", {
      pane: ids.rw,
      text: "typed-by-agent",
      timeout_ms: 10_000,
    });
    expect(waited.matched).toBe(true);
  });

  it("none access: listed, but reading is PANE_FORBIDDEN", async () => {
    await mcp.refused("read_pane", { pane: ids.hidden }, "PANE_FORBIDDEN");
    await mcp.refused("wait_for", { pane: ids.hidden, exit: true, timeout_ms: 10 }, "PANE_FORBIDDEN");
    await mcp.refused("send_keys", { pane: ids.hidden, keys: ["Enter"] }, "PANE_FORBIDDEN");
  });

  it("write access includes kill", async () => {
    const killed = await mcp.ok<{ alive: boolean }>("kill_pane", { pane: ids.rw });
    expect(killed.alive).toBe(false);
  });
});
