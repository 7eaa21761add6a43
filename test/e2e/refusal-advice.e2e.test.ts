import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI,
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * The refusals an agent trained on shells meets, through the real MCP client and through `ccmux policy check`:
 * each has a stable code (and `data.syntax` for shell syntax) and one line saying what to do instead. An option
 * the policy does not allow used to be answered `PATH_INVALID … prefix it with ./`, and `NODE_ENV=test node …`
 * `"NODE_ENV=test" was not found on the server's PATH`.
 */
const POLICY = {
  commands: [
    { command: "node", args: ["{path}", "{path} **", "--test **", "--version"] },
    { command: "git", args: ["status", "diff **", "log **"] },
    { command: "ls", args: ["", "**"] },
    { command: "cat", args: ["{path}"] },
  ],
  env: { fromAgent: ["NODE_ENV", "CI"] },
  sandbox: { mode: "off" },
};

/** [command line, code, data.syntax or undefined, advice the first line must carry] */
const CASES: Array<[string, string, string | undefined, RegExp]> = [
  [
    "node --inspect",
    "ARGS_NOT_ALLOWED",
    undefined,
    /allowed: "\{path\}", "\{path\} \*\*", "--test \*\*", "--version"/,
  ],
  ["node --inspect app.js", "ARGS_NOT_ALLOWED", undefined, /allowed: "\{path\}"/],
  [
    "NODE_ENV=test node app.js",
    "COMMAND_SYNTAX_FORBIDDEN",
    "assignment",
    /spawn's env argument.*NODE_ENV, CI/,
  ],
  ["npm test | tail -20", "COMMAND_SYNTAX_FORBIDDEN", "pipe", /read_pane/],
  ["git status && git diff", "COMMAND_SYNTAX_FORBIDDEN", "and-or", /spawn each command on its own/],
  ["git status; ls", "COMMAND_SYNTAX_FORBIDDEN", "sequence", /spawn each command on its own/],
  ["cd src && ls", "COMMAND_SYNTAX_FORBIDDEN", "cd", /cwd argument/],
  ["node app.js 2>&1", "COMMAND_SYNTAX_FORBIDDEN", "redirection", /stdout and stderr both reach the pane/],
  ["ls > files.txt", "COMMAND_SYNTAX_FORBIDDEN", "redirection", /read it with read_pane/],
  ["ls $PATH", "COMMAND_SYNTAX_FORBIDDEN", "variable", /not expanded.*env argument/],
  ["ls $(pwd)", "COMMAND_SYNTAX_FORBIDDEN", "substitution", /pane of its own/],
  ["ls `pwd`", "COMMAND_SYNTAX_FORBIDDEN", "substitution", /pane of its own/],
  ["ls *.js", "COMMAND_SYNTAX_FORBIDDEN", "glob", /name the files, or quote the pattern/],
  ["ls ~", "PATH_OUTSIDE_WORKSPACE", undefined, /`~` is not expanded/],
  [
    "python3 x.py",
    "COMMAND_NOT_ALLOWED",
    undefined,
    /allowed programs: node, git, ls, cat \(the policy tool/,
  ],
  ["cd src", "COMMAND_NOT_ALLOWED", undefined, /cwd argument/],
];

describe("refusals say what to do instead", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace(POLICY, { busy: true });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it.each(CASES)("through MCP: %j is %s with its advice", async (command, code, syntax, advice) => {
    const text = await mcp.refused("spawn", { command }, code);
    const [first = "", data = "{}"] = text.split("\n");
    expect(first).toMatch(advice);
    expect(first).toMatch(/Instead: |allowed: /);
    expect(first).not.toContain("prefix it with");
    if (syntax !== undefined) expect(JSON.parse(data)).toMatchObject({ syntax });
    // The advice is audited with the refusal: `audit show` can say why.
    const record = readAudit(ws.auditPath)
      .filter((r) => r.event === "call")
      .at(-1);
    expect(record).toMatchObject({ decision: "deny", code, args: { command } });
    expect(String(record?.reason)).toMatch(advice);
  });

  it.each(CASES)(
    "through `ccmux policy check`: %j is %s with its advice",
    (command, code, _syntax, advice) => {
      const run = spawnSync(process.execPath, [CLI, "policy", "check", "--config", ws.policyPath, command], {
        encoding: "utf8",
        env: { ...process.env, PATH: process.env.PATH ?? "/usr/bin:/bin" },
      });
      expect(run.status).toBe(1);
      const first = run.stdout.split("\n")[0] ?? "";
      expect(first.startsWith(`denied: ${code}: `)).toBe(true);
      expect(first).toMatch(advice);
    },
  );
});
