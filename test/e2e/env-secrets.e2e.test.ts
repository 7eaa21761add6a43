import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

const SECRET = "sk-ant-api03-THISISNOTAREALKEY0123456789abcdef";

describe("environment leakage (seed §1.2)", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [
        { command: "env", args: [""] },
        { command: "echo", args: ["**"] },
        { command: "bash", args: ["--norc --noprofile"], input: "raw" },
      ],
      env: { pass: ["PATH", "LANG", "ANTHROPIC_API_KEY", "MY_SERVICE_TOKEN", "VISIBLE"], fromAgent: [] },
    });
    mcp = await serveWorkspace(ws, {
      ANTHROPIC_API_KEY: SECRET,
      MY_SERVICE_TOKEN: "tok-123456789",
      VISIBLE: "yes-visible",
      UNLISTED: "nope",
    });
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("children get only listed variables, and never secret-looking ones even when listed", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "env" });
    await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
    const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    expect(text).toContain("VISIBLE=yes-visible");
    expect(text).toContain("TERM=xterm-256color");
    expect(text).not.toContain("UNLISTED");
    expect(text).not.toContain("ANTHROPIC_API_KEY");
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("tok-123456789");
  });

  it("a secret the agent types is redacted in the audit log, the rest of the text is kept", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    await mcp.ok("send_keys", { pane, text: `echo ${SECRET} tok-123456789 kept-text` });
    const log = readFileSync(ws.auditPath, "utf8");
    expect(log).toContain("kept-text");
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain("tok-123456789");
    expect(log).toContain("[REDACTED]");
    await mcp.ok("kill_pane", { pane });
  });

  it("a credential in a command line is redacted everywhere in the record (args, argv, detail)", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `echo ${SECRET}` });
    await mcp.ok("kill_pane", { pane });
    const shell = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    await mcp.refused("send_keys", { pane: shell.pane, keys: [SECRET] }, "UNKNOWN_KEY");
    await mcp.ok("kill_pane", { pane: shell.pane });
    const log = readFileSync(ws.auditPath, "utf8");
    expect(log).not.toContain(SECRET);
    expect(log).toMatch(/"argv":\[[^\]]*\[REDACTED\]/);
  });
});
