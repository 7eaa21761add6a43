import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * Issue 9 item 4 (less/more/man `!`): a pager the agent may type into runs `!cmd`. Agent panes get
 * LESSSECURE=1 (less(1) SECURITY). Control: the same less in the same sandbox, with LESSSECURE removed, runs it.
 */
let ws: TestWorkspace;
let mcp: Served;

beforeAll(async () => {
  ws = makeWorkspace({
    commands: [
      { command: "less", args: ["{path}"], input: "raw" },
      { command: "bash", args: ["--norc --noprofile"], input: "raw" },
    ],
    env: { pass: ["PATH", "HOME", "LANG"] },
  });
  writeFileSync(join(ws.root, "notes.txt"), "notes-content\n");
  mcp = await serveWorkspace(ws);
});
afterAll(async () => {
  await mcp?.close();
  ws?.cleanup();
});

describe("a pager's shell escape", () => {
  it("less !cmd in an agent pane does not run: less is in secure mode", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "less notes.txt" });
    await mcp.ok("wait_for", { pane, text: "notes-content", timeout_ms: 20_000 });
    await mcp.ok("send_keys", { pane, text: "!touch pwned-less", submit: true });
    const seen = await mcp.ok<{ matched: boolean }>("wait_for", {
      pane,
      regex: "(?i)not available",
      timeout_ms: 20_000,
    });
    expect(seen.matched).toBe(true);
    expect(existsSync(join(ws.root, "pwned-less"))).toBe(false);
    await mcp.call("kill_pane", { pane });
  });

  it("control: the same less without LESSSECURE runs the command", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    await mcp.ok("send_keys", { pane, text: "env -u LESSSECURE less notes.txt", submit: true });
    await mcp.ok("wait_for", { pane, text: "notes-content", timeout_ms: 20_000 });
    await mcp.ok("send_keys", { pane, text: "!touch pwned-control", submit: true });
    await eventually(() => existsSync(join(ws.root, "pwned-control")), 20_000);
    await mcp.call("kill_pane", { pane });
  });
});
