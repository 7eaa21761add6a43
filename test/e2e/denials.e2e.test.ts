import { existsSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

const POLICY = {
  commands: [
    { command: "echo", args: ["**"] },
    { command: "cat", args: ["{path}"] },
    { command: "touch", args: ["{path}"] },
    { command: "sleep", args: ["*"] },
    // A keys-only pane that is not a shell (a shell with `keys` is refused at load: Up, Enter re-runs history).
    { command: "cat", args: [""], input: "keys" },
  ],
  env: { pass: ["PATH"], fromAgent: ["GREETING"] },
  limits: { maxPanes: 2, callsPerMinute: 1000, maxInputBytes: 256 },
};

describe("every refusal has a stable code, is audited, and changes nothing", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  const victim = () => join(ws.dir, "pwned");

  beforeAll(async () => {
    ws = makeWorkspace(POLICY);
    symlinkSync("/etc", join(ws.root, "etc-link"));
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["command injection with ;", { command: "echo hi; touch ../pwned" }, "COMMAND_SYNTAX_FORBIDDEN"],
    ["command substitution $(…)", { command: "echo $(touch ../pwned)" }, "COMMAND_SYNTAX_FORBIDDEN"],
    ["backtick substitution", { command: "echo `touch ../pwned`" }, "COMMAND_SYNTAX_FORBIDDEN"],
    [
      "newline smuggling a second command",
      { command: "echo hi\ntouch ../pwned" },
      "COMMAND_SYNTAX_FORBIDDEN",
    ],
    ["redirection", { command: "echo hi > ../pwned" }, "COMMAND_SYNTAX_FORBIDDEN"],
    ["variable expansion", { command: "cat $HOME/.ssh/id_rsa" }, "COMMAND_SYNTAX_FORBIDDEN"],
    ["program not in the policy", { command: "rm -rf /" }, "COMMAND_NOT_ALLOWED"],
    ["relative program path", { command: "./evil" }, "COMMAND_NOT_ALLOWED"],
    ["arguments outside the allowed shapes", { command: "sleep 1 2" }, "ARGS_NOT_ALLOWED"],
    ["path traversal in {path}", { command: "touch ../pwned" }, "PATH_OUTSIDE_WORKSPACE"],
    ["absolute path outside", { command: "cat /etc/passwd" }, "PATH_OUTSIDE_WORKSPACE"],
    ["symlink out of the workspace", { command: "cat etc-link/passwd" }, "PATH_OUTSIDE_WORKSPACE"],
    ["cwd outside the workspace", { command: "echo hi", cwd: "/" }, "PATH_OUTSIDE_WORKSPACE"],
    ["loader hook in env", { command: "echo hi", env: { LD_PRELOAD: "/tmp/x.so" } }, "ENV_NOT_ALLOWED"],
    ["env name not in fromAgent", { command: "echo hi", env: { OTHER: "1" } }, "ENV_NOT_ALLOWED"],
    ["unknown field", { command: "echo hi", shell: true }, "INVALID_ARGUMENT"],
    ["wrong type", { command: ["echo", "hi"] }, "INVALID_ARGUMENT"],
    ["oversized command line", { command: `echo ${"a".repeat(300)}` }, "LIMIT_EXCEEDED"],
  ];

  it.each(cases)("spawn refuses %s", async (_label, args, code) => {
    const before = readAudit(ws.auditPath).length;
    const text = await mcp.refused("spawn", args, code);
    expect(text.split("\n")[0]).toMatch(new RegExp(`^${code}: .+`));
    // One decision record; anomaly rules may add `security` records (a path into ~/.ssh is one).
    const added = readAudit(ws.auditPath)
      .slice(before)
      .filter((record) => record.event !== "security");
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ tool: "spawn", decision: "deny", code });
    expect(existsSync(victim())).toBe(false);
    const { panes } = await mcp.ok<{ panes: unknown[] }>("list_panes");
    expect(panes).toEqual([]);
  });

  it("an unknown tool is refused (a JSON-RPC error, see unknown-tool-is-a-protocol-error) and audited", async () => {
    await expect(mcp.call("exec", { command: "id" })).rejects.toMatchObject({ code: -32602 });
    expect(readAudit(ws.auditPath).at(-1)).toMatchObject({
      tool: "exec",
      decision: "deny",
      code: "INVALID_ARGUMENT",
    });
  });

  it("send_keys: unknown key names, text to a keys-only pane, and panes that do not exist", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "cat" });
    await mcp.refused("send_keys", { pane, keys: ["Enter", "Hyper-X"] }, "UNKNOWN_KEY");
    await mcp.refused("send_keys", { pane, text: "touch ../pwned", submit: true }, "INPUT_NOT_ALLOWED");
    await mcp.refused("send_keys", { pane: "p-AAAAAAAAAAAAAAAA", keys: ["Enter"] }, "PANE_NOT_FOUND");
    await mcp.refused("read_pane", { pane: "../../etc" }, "PANE_NOT_FOUND");
    await mcp.ok("send_keys", { pane, keys: ["Enter"] });
    expect(existsSync(victim())).toBe(false);
    await mcp.ok("kill_pane", { pane });
  });

  it("send_keys to a pane with input none is refused", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "sleep 30" });
    await mcp.refused("send_keys", { pane, keys: ["C-c"] }, "INPUT_NOT_ALLOWED");
    await mcp.ok("kill_pane", { pane });
  });

  it("maxPanes bounds live panes", async () => {
    const a = await mcp.ok<{ pane: string }>("spawn", { command: "sleep 30" });
    const b = await mcp.ok<{ pane: string }>("spawn", { command: "sleep 30" });
    await mcp.refused("spawn", { command: "sleep 30" }, "LIMIT_EXCEEDED");
    await mcp.ok("kill_pane", { pane: a.pane });
    await mcp.ok("kill_pane", { pane: b.pane });
  });

  it("wait_for refuses a backtracking regex and accepts none of text+regex together", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "echo ready" });
    await mcp.refused("wait_for", { pane, regex: "(a)\\1" }, "INVALID_ARGUMENT");
    await mcp.refused("wait_for", { pane, text: "a", regex: "a" }, "INVALID_ARGUMENT");
    await mcp.refused("wait_for", { pane }, "INVALID_ARGUMENT");
    await mcp.ok("kill_pane", { pane });
  });
});

describe("rate limit", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({ commands: [], limits: { callsPerMinute: 5 } });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("a flood of calls is refused with RATE_LIMITED and a retry-after, and audited", async () => {
    for (let i = 0; i < 5; i++) await mcp.ok("list_panes");
    const text = await mcp.refused("list_panes", {}, "RATE_LIMITED");
    expect(text).toMatch(/retry after \d+ ms/);
    expect(readAudit(ws.auditPath).at(-1)).toMatchObject({ decision: "deny", code: "RATE_LIMITED" });
  });
});
