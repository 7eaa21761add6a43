import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLI,
  eventually,
  makeWorkspace,
  readAudit,
  type Served,
  serverPath,
  serveWorkspace,
  type TestWorkspace,
  textOf,
} from "../support/mcp-harness.js";

/**
 * A broken policy used to end `serve` before `initialize`: Claude Code showed only "connection closed". Now the
 * server answers, and every tool call returns POLICY_INVALID with every problem, through the real client.
 */
let ws: TestWorkspace | undefined;
let mcp: Served | undefined;
afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
  ws?.cleanup();
  ws = undefined;
});

function writePolicy(workspace: TestWorkspace, text: string): void {
  writeFileSync(workspace.policyPath, text);
}

/** The policy makeWorkspace wrote, changed by `edit`. */
function editPolicy(workspace: TestWorkspace, edit: (policy: Record<string, unknown>) => void): void {
  const policy = JSON.parse(readFileSync(workspace.policyPath, "utf8")) as Record<string, unknown>;
  edit(policy);
  writePolicy(workspace, JSON.stringify(policy, null, 2));
}

const MARKER = "ran-anyway";

describe("a broken policy reaches the person through the client", () => {
  it("bad JSON: initialize answers, every call is refused with the file, line and column; nothing is invented", async () => {
    ws = makeWorkspace({ commands: [{ command: "touch", args: ["{path}"] }] });
    const text = readFileSync(ws.policyPath, "utf8");
    // A trailing comma on line 2, as a person editing by hand leaves one.
    writePolicy(ws, text.replace(/^\{\n/, '{\n  "comment": "x",,\n'));
    mcp = await serveWorkspace(ws);
    expect(mcp.client.getInstructions()).toContain("POLICY_INVALID");
    expect(mcp.client.getInstructions()).toContain(`${ws.policyPath}:2:`);
    const { tools } = await mcp.client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["policy"]);
    for (const [name, args] of [
      ["spawn", { command: `touch ${MARKER}` }],
      ["policy", {}],
      ["no_such_tool", {}],
    ] as const) {
      const result = await mcp.call(name, args);
      expect(result.isError).toBe(true);
      const refusal = textOf(result);
      expect(refusal).toMatch(
        /^POLICY_INVALID: ccmux is not serving: the policy does not validate \(1 problem\)/,
      );
      expect(refusal).toContain(`${ws.policyPath}:2:18: expected a property name in double quotes`);
    }
    expect(existsSync(join(ws.root, MARKER))).toBe(false);
    expect(mcp.stderr()).toContain(`${ws.policyPath}:2:18:`);
    expect(mcp.stderr()).toContain("refused spawn: POLICY_INVALID");
    expect(mcp.stderr()).toContain("not audited to a file");
    // The policy names its audit log, but the server cannot read that: it writes no log anywhere else either.
    expect(existsSync(ws.auditPath)).toBe(false);
    expect(existsSync(join(ws.dir, "xdg-state", "ccmux", "audit.jsonl"))).toBe(false);
  });

  it("schema and meaning errors come together, each with its place, and the refusals are audited", async () => {
    ws = makeWorkspace({
      commands: [
        { command: "touch", args: ["{path}"], shell: true },
        { command: "touch", args: ["{pathh}"] },
        { command: "not-installed-anywhere-ccmux" },
      ],
      env: { fromAgent: ["LD_PRELOAD"] },
      limits: { maxPanes: "many" },
    });
    mcp = await serveWorkspace(ws);
    const refusal = textOf(await mcp.call("spawn", { command: `touch ${MARKER}` }));
    expect(refusal).toMatch(/^POLICY_INVALID: .*\(4 problems\)/);
    const data = JSON.parse(refusal.split("\n")[1] as string) as { file: string; problems: string[] };
    expect(data.file).toBe(ws.policyPath);
    const where = data.problems.map((line) => line.slice(ws?.policyPath.length).split(": ")[0]);
    // Each problem at the line and column where its value starts: schema problems first, then meaning.
    const text = readFileSync(ws.policyPath, "utf8");
    const at = (needle: string): string => {
      const before = text.slice(0, text.indexOf(needle)).split("\n");
      return `:${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
    };
    expect(where).toEqual([
      at('{\n      "command": "touch",\n      "args": [\n        "{path}"'),
      at('"many"'),
      at('"{pathh}"'),
      at('"LD_PRELOAD"'),
    ]);
    for (const path of ["commands[0]", "limits.maxPanes", "commands[1].args[0]", "env.fromAgent[0]"]) {
      expect(refusal).toContain(path);
    }
    expect(existsSync(join(ws.root, MARKER))).toBe(false);
    // The missing program is a warning: on stderr, not among the problems.
    expect(mcp.stderr()).toContain("not-installed-anywhere-ccmux");
    await mcp.close();
    mcp = undefined;
    const records = readAudit(ws.auditPath);
    expect(records.find((r) => r.event === "start")).toMatchObject({
      decision: "error",
      code: "POLICY_INVALID",
      policy: ws.policyPath,
    });
    expect(records.find((r) => r.event === "call")).toMatchObject({
      decision: "deny",
      tool: "spawn",
      code: "POLICY_INVALID",
      args: { command: `touch ${MARKER}` },
    });
    expect(records.at(-1)).toMatchObject({ event: "stop" });
  });

  it("control: the same server with the policy fixed runs the command", async () => {
    ws = makeWorkspace({ commands: [{ command: "touch", args: ["{path}"] }], sandbox: { mode: "off" } });
    mcp = await serveWorkspace(ws);
    await mcp.ok("spawn", { command: `touch ${MARKER}` });
    await expect.poll(() => existsSync(join(ws?.root ?? "", MARKER))).toBe(true);
  });

  it("an empty policy file: line 1, column 1", async () => {
    ws = makeWorkspace({});
    writePolicy(ws, "");
    mcp = await serveWorkspace(ws);
    const refusal = textOf(await mcp.call("list_panes"));
    expect(refusal).toContain("POLICY_INVALID");
    expect(refusal).toContain(`${ws.policyPath}:1:1: expected a value`);
  });

  it("no policy at all, and a planted ./ccmux.json: the client is told where serve looked and how to choose", async () => {
    ws = makeWorkspace({ commands: [{ command: "touch", args: ["{path}"] }], sandbox: { mode: "off" } });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "serve"],
      env: {
        PATH: serverPath(),
        HOME: ws.dir,
        XDG_STATE_HOME: join(ws.dir, "xdg-state"),
        XDG_CONFIG_HOME: join(ws.dir, "xdg-config"),
      },
      cwd: ws.dir, // where makeWorkspace put ccmux.json: as if a pane had written it
      stderr: "pipe",
    });
    const client = new Client({ name: "ccmux-e2e", version: "0.0.0" });
    await client.connect(transport);
    try {
      const result = (await client.callTool({
        name: "spawn",
        arguments: { command: `touch ${MARKER}` },
      })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^POLICY_INVALID: ccmux is not serving: no policy/);
      expect(textOf(result)).toContain(join(ws.dir, "xdg-config", "ccmux", "ccmux.json"));
      expect(textOf(result)).toContain("pass --config ccmux.json");
      expect(existsSync(join(ws.root, MARKER))).toBe(false);
    } finally {
      await client.close();
    }
  });

  it("a secret in a broken env.set never reaches the client, stderr or the log", async () => {
    const token = "sk-ant-api03-broken-policy-secret-value-000000000000000000";
    ws = makeWorkspace({ env: { set: { TERM: token, A: `${token}\u0000x` }, pass: ["PATH"] } });
    mcp = await serveWorkspace(ws);
    const refusal = textOf(await mcp.call("spawn", { command: "true" }));
    expect(refusal).toContain("env.set.TERM");
    expect(refusal).not.toContain("sk-ant");
    expect(mcp.client.getInstructions()).not.toContain("sk-ant");
    await mcp.close();
    mcp = undefined;
    expect(readFileSync(ws.auditPath, "utf8")).not.toContain("sk-ant");
  });

  it("an audit section that does not validate: refusals go to stderr, no log is guessed", async () => {
    ws = makeWorkspace({ commands: [] });
    editPolicy(ws, (policy) => {
      policy.audit = { path: (policy.audit as { path: string }).path, keep: "forever" };
    });
    mcp = await serveWorkspace(ws);
    expect(textOf(await mcp.call("list_panes"))).toContain("audit.keep");
    expect(mcp.stderr()).toContain("refused list_panes: POLICY_INVALID");
    expect(existsSync(ws.auditPath)).toBe(false);
  });

  it("an audit log that cannot be opened is told to the client as AUDIT_UNAVAILABLE", async () => {
    ws = makeWorkspace({ commands: [] });
    // A directory where the log file should be: it cannot be opened as a file.
    mkdirSync(ws.auditPath);
    mcp = await serveWorkspace(ws);
    const refusal = textOf(await mcp.call("list_panes"));
    expect(refusal).toMatch(/^AUDIT_UNAVAILABLE: ccmux is not serving: the audit log cannot be opened/);
    expect(mcp.client.getInstructions()).toContain("The audit log cannot be opened");
  });

  it("malformed and 20 000-deep calls are refused and audited too, with the server still up", async () => {
    ws = makeWorkspace({ commands: [{ command: "ls" }], limits: { maxPanes: "many" } });
    const child = spawn(process.execPath, [CLI, "serve", "--config", ws.policyPath], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: serverPath(), HOME: ws.dir, XDG_STATE_HOME: join(ws.dir, "xdg-state") },
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const deep = `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`;
    for (const line of [
      '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}',
      '{"jsonrpc":"2.0","method":"notifications/initialized"}',
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"spawn","arguments":${deep}}}`,
      '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":5,"arguments":"x"}}',
      '{"jsonrpc":"2.0","id":3,"method":"tools/list"}',
    ]) {
      child.stdin.write(`${line}\n`);
    }
    const answers = await eventually(() => {
      // Only whole lines: the fourth answer may be half-written when this polls.
      const lines = out
        .slice(0, out.lastIndexOf("\n") + 1)
        .split("\n")
        .filter((line) => line.trim());
      return lines.length >= 4 && lines.map((line) => JSON.parse(line) as { id: number; result?: unknown });
    });
    child.stdin.end();
    await new Promise((resolve) => child.once("exit", resolve));
    for (const id of [1, 2]) {
      const result = answers.find((answer) => answer.id === id)?.result as {
        isError: boolean;
        content: { text: string }[];
      };
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toMatch(/^POLICY_INVALID: /);
    }
    const calls = readAudit(ws.auditPath).filter((record) => record.event === "call");
    expect(calls).toHaveLength(2);
    expect(calls[0]?.args).toMatchObject({ unlogged: "too-deep" });
    expect(calls[1]).toMatchObject({ tool: "5", code: "POLICY_INVALID" });
  });
});
