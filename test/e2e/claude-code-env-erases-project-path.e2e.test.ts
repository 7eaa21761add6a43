import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

// Issue 11: Claude Code starts MCP servers with CLAUDE_PROJECT_DIR and other CLAUDE_* variables that hold paths
// and settings. Every CLAUDE_* value was searched for and redacted, so the project's path read `[REDACTED]`
// throughout the audit log. A token Claude Code passes (CLAUDE_CODE_OAUTH_TOKEN) must still never appear.
const TOKEN = "oat-7Hq2vN9xK4mP8rT1wZ6cY3bJ5-not-a-known-shape";
const SHAPED = "sk-ant-oat01-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1HgFeDcBa";

/** The variables Claude Code sets for a stdio MCP server it starts in a project (and a token in its env). */
function claudeCodeEnv(ws: TestWorkspace): Record<string, string> {
  const config = join(ws.dir, "claude-config");
  mkdirSync(config, { recursive: true });
  return {
    CLAUDE_PROJECT_DIR: ws.root,
    CLAUDECODE: "1",
    CLAUDE_CODE_ENTRYPOINT: "cli",
    CLAUDE_CODE_SSE_PORT: "38111",
    CLAUDE_CONFIG_DIR: config,
    CLAUDE_ENV_FILE: join(config, "session-env.sh"),
    CLAUDE_CODE_MAX_OUTPUT_TOKENS: "128000",
    CLAUDE_CODE_OAUTH_TOKEN: TOKEN,
    ANTHROPIC_AUTH_TOKEN: SHAPED,
  };
}

let ws: TestWorkspace | undefined;
let mcp: Served | undefined;
afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
  ws?.cleanup();
  ws = undefined;
});

function policy(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    commands: [
      { command: "echo", args: ["**"] },
      { command: "env", args: [""] },
    ],
    env: {
      pass: ["PATH", "LANG", "CLAUDE_PROJECT_DIR", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDECODE"],
      fromAgent: [],
    },
    sandbox: { mode: "off" },
    ...extra,
  };
}

describe("under the variables Claude Code sets, the audit log keeps the project path", () => {
  it("cwd, argv and the agent's own text show the project path; both tokens are redacted", async () => {
    ws = makeWorkspace(policy());
    mcp = await serveWorkspace(ws, claudeCodeEnv(ws));
    const { pane } = await mcp.ok<{ pane: string }>("spawn", {
      command: `echo ${ws.root}/src ${TOKEN} ${SHAPED}`,
      cwd: ws.root,
    });
    await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
    const log = readFileSync(ws.auditPath, "utf8");
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(SHAPED);
    const found = readAudit(ws.auditPath).find((r) => r.tool === "spawn" && r.event === "call");
    expect(found).toBeDefined();
    const spawn = found as {
      args: { command: string; cwd: string };
      argv: string[];
      redacted: { field: string }[];
    };
    expect(spawn.args.cwd).toBe(ws.root);
    expect(spawn.argv).toContain(`${ws.root}/src`);
    expect(spawn.args.command).toBe(`echo ${ws.root}/src [REDACTED] [REDACTED]`);
    // Only the tokens were redacted: the command line and the two argv entries holding them, no path field.
    const fields = spawn.redacted.map((entry) => entry.field);
    expect(fields).toEqual(["args.command", "argv.2", "argv.3"]);
  });

  it("panes still inherit neither the token nor CLAUDE_* names listed in env.pass (vendor namespace)", async () => {
    ws = makeWorkspace(policy());
    mcp = await serveWorkspace(ws, claudeCodeEnv(ws));
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "env" });
    await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
    const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    expect(text).toContain("CLAUDECODE=1");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("CLAUDE_CODE_OAUTH_TOKEN");
    expect(text).not.toContain("CLAUDE_PROJECT_DIR");
  });

  it("control: the same path in a credential-named variable is still erased from the log", async () => {
    ws = makeWorkspace(policy());
    mcp = await serveWorkspace(ws, { ...claudeCodeEnv(ws), PROJECT_DIR_TOKEN: ws.root });
    const { pane } = await mcp.ok<{ pane: string }>("spawn", {
      command: `echo ${ws.root}/src`,
      cwd: ws.root,
    });
    await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
    const log = readFileSync(ws.auditPath, "utf8");
    expect(log).not.toContain(ws.root);
    expect(log).toContain("[REDACTED]/src");
  });
});
