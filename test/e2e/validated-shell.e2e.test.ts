import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/** A validated shell (issue 14, part 2) through the real MCP client against the built CLI. */
interface RunResult {
  pane: string;
  exitCode: number | null;
  alive: boolean;
  reason: string;
  output: string;
  truncated: number;
  cwd?: string;
  uncertain?: boolean;
}

const POLICY = {
  commands: [
    { command: "bash", args: ["--norc --noprofile"], input: "validated" },
    { command: "bash", args: ["{path}", "{path} *"], input: "raw" },
    { command: "echo", args: ["**"] },
    { command: "cat", args: ["", "{path}"], input: "raw" },
    { command: "ls", args: ["", "{path}"] },
    { command: "true" },
    { command: "sleep", args: ["*"] },
  ],
  env: { pass: ["PATH", "HOME", "LANG"], fromAgent: ["GREETING"] },
  limits: { callsPerMinute: 10_000, burst: 10_000 },
};

describe.each([
  ["sandbox.mode: off", "off"],
  ["sandbox.mode: required", "required"],
] as const)("validated shell: every command passes the policy (%s)", (_label, mode) => {
  let ws: TestWorkspace;
  let mcp: Served;

  beforeAll(async () => {
    ws = makeWorkspace({ ...POLICY, sandbox: { mode } });
    mkdirSync(join(ws.root, "sub"));
    writeFileSync(join(ws.root, "sub", "note.txt"), "in sub\n");
    writeFileSync(join(ws.root, "status.sh"), 'echo "status $1"\nexit "$1"\n');
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  async function shell(): Promise<string> {
    const { pane, input } = await mcp.ok<{ pane: string; input: string }>("spawn", {
      command: "bash --norc --noprofile",
    });
    expect(input).toBe("validated");
    return pane;
  }

  it("runs commands with their exit status and output, and keeps its directory and variables", async () => {
    const pane = await shell();
    const echo = await mcp.ok<RunResult>("run", {
      pane,
      command: "echo hello from the shell",
      timeout_ms: 20_000,
    });
    expect(echo).toMatchObject({
      exitCode: 0,
      alive: false,
      reason: "exited",
      output: "hello from the shell",
    });
    const failed = await mcp.ok<RunResult>("run", { pane, command: "bash status.sh 7" });
    expect(failed).toMatchObject({ exitCode: 7, output: "status 7" });
    const cd = await mcp.ok<RunResult>("run", { pane, command: "cd sub" });
    expect(cd).toMatchObject({ exitCode: 0, cwd: join(ws.root, "sub") });
    const cat = await mcp.ok<RunResult>("run", { pane, command: "cat note.txt" });
    expect(cat).toMatchObject({ exitCode: 0, output: "in sub" });
    const pwd = await mcp.ok<RunResult>("run", { pane, command: "pwd" });
    expect(pwd.output).toBe(join(ws.root, "sub"));
    expect((await mcp.ok<RunResult>("run", { pane, command: "export GREETING=hi" })).exitCode).toBe(0);
    expect(readAudit(ws.auditPath).some((r) => r.tool === "run" && r.step === "export")).toBe(true);
  });
});
