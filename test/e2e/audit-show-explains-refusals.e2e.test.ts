import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, AUDIT_USAGE, auditHelp } from "../../src/cli/audit-command.js";
import { TOOL_NAMES } from "../../src/tools/tool-names.js";
import {
  CLI,
  eventually,
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/** The real CLI: `ccmux audit …` against the workspace's log. */
function audit(
  ws: TestWorkspace,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, "audit", ...args, "--file", ws.auditPath], {
    encoding: "utf8",
    timeout: 20_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const rows = (stdout: string): string[] => stdout.trimEnd().split("\n").slice(1);

/** What the agent was told, without the code and the data line: `CODE: message\n{…}`. */
const messageOf = (text: string): string => (text.split("\n")[0] ?? "").replace(/^[A-Z_]+: /, "");

/** The shortest prefix of `id` that no other id shares (at least "p-" and one more character). */
function uniquePrefix(id: string, others: string[]): string {
  for (let n = 3; n <= id.length; n++) {
    const prefix = id.slice(0, n);
    if (!others.some((other) => other !== id && other.startsWith(prefix))) return prefix;
  }
  return id;
}

describe("ccmux audit show: whole pane ids, refused filter values, and why a call was refused", () => {
  let ws: TestWorkspace;
  let mcp: Served | undefined;
  const panes: string[] = [];
  let toolsListed: string[] = [];
  let told = "";
  let toldPane = "";
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [
        { command: "echo", args: ["**"] },
        { command: "bash", args: ["--norc --noprofile"], input: "raw" },
      ],
      sandbox: { mode: "off" },
    });
    mcp = await serveWorkspace(ws);
    toolsListed = (await mcp.client.listTools()).tools.map((tool) => tool.name);
    for (const word of ["one", "two"]) {
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `echo ${word}` });
      await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
      panes.push(pane);
    }
    told = await mcp.refused("spawn", { command: "rm -rf /" }, "COMMAND_NOT_ALLOWED");
    await mcp.refused("spawn", { command: "echo hi | tail" }, "COMMAND_SYNTAX_FORBIDDEN");
    toldPane = await mcp.refused("read_pane", { pane: "gone-pane" }, "PANE_NOT_FOUND");
    // Security: an agent can name any "pane" in a refused call; the CLI quotes log values back in its errors.
    await mcp.refused("read_pane", { pane: "x\u001b]0;pwned\u0007\u202e" }, "PANE_NOT_FOUND");
    // A tool that does not exist: refused (as a tool error or a JSON-RPC error) and audited under its name.
    await mcp.call("frobnicate", {}).catch(() => undefined);
    await mcp.ok("read_pane", { pane: panes[0] });
    await mcp.close();
    mcp = undefined;
    await eventually(() => readAudit(ws.auditPath).some((r) => r.event === "stop"));
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("prints each pane id whole, and --pane takes an id as printed", () => {
    const table = audit(ws, "show");
    expect(table.code).toBe(0);
    // Who acted: the agent's calls say so; the server's own records (start, exit) leave ORIGIN blank.
    expect(table.stdout.split("\n")[0]).toMatch(/\sSESSION\s+ORIGIN\s+EVENT\s/);
    for (const pane of panes) {
      const shown = rows(table.stdout).filter((row) => row.split(/\s+/).includes(pane));
      // the spawn's outcome and the exit, at least; the first pane was read too
      expect(shown.length).toBeGreaterThanOrEqual(2);
      const only = audit(ws, "show", "--pane", pane);
      expect(only.code).toBe(0);
      expect(rows(only.stdout).length).toBe(shown.length);
      expect(rows(only.stdout).every((row) => row.includes(pane))).toBe(true);
    }
    // The calls that named the pane count as its records: the allowed read_pane of the first pane.
    expect(rows(audit(ws, "show", "--pane", panes[0] as string).stdout).join("\n")).toMatch(
      /\sagent\s+call\s+read_pane\s+allow/,
    );
  });

  it("--pane takes a prefix of exactly one pane, and refuses an ambiguous or unknown one", () => {
    const [first = "", second = ""] = panes;
    const prefix = uniquePrefix(first, [second]);
    expect(audit(ws, "show", "--pane", prefix).stdout).toBe(audit(ws, "show", "--pane", first).stdout);
    // The table's own cut (a trailing …) is taken as the prefix it is.
    expect(audit(ws, "tail", "--pane", `${prefix}…`).stdout).toBe(audit(ws, "tail", "--pane", first).stdout);

    const ambiguous = audit(ws, "show", "--pane", "p-");
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stdout).toBe("");
    expect(ambiguous.stderr).toMatch(/--pane "p-" matches 2 panes/);
    for (const pane of panes) expect(ambiguous.stderr).toContain(pane);

    const unknown = audit(ws, "show", "--pane", "p-zzzzzzzzzzzzzzzzzz");
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toContain("no pane id in this log starts so");
    // The ids the log names, quoted back from what an agent sent: no terminal control reaches the person.
    expect(unknown.stderr).toContain("gone-pane");
    for (const char of ["\u001b", "\u0007", "\u202e"]) expect(unknown.stderr).not.toContain(char);
  });

  it("refuses an unknown --decision, --tool, --code or --session, listing the valid values", () => {
    const cases: Array<[string, string, RegExp]> = [
      ["--decision", "denied", /unknown --decision "denied": use one of allow, deny, error, info/],
      ["--tool", "spwan", /unknown --tool "spwan": use one of spawn, send_keys, read_pane, .*wait_for/],
      ["--code", "NOT_ALLOWED", /unknown --code "NOT_ALLOWED": use one of .*COMMAND_NOT_ALLOWED/],
      [
        "--session",
        "s-nosuchrun",
        /--session "s-nosuchrun": no server run's id in this log starts so; the log holds s-/,
      ],
    ];
    for (const [option, value, message] of cases) {
      // tail and summary take the same filters: checked with one option each, to keep the CLI runs few.
      for (const action of option === "--decision" ? ["show", "tail", "summary"] : ["show"]) {
        const out = audit(ws, action, option, value);
        expect(out.code, `${action} ${option} ${value}`).toBe(2);
        expect(out.stdout).toBe("");
        expect(out.stderr).toMatch(message);
      }
    }
    // Control: the right values select records.
    expect(rows(audit(ws, "show", "--decision", "deny").stdout).length).toBeGreaterThanOrEqual(4);
    expect(rows(audit(ws, "show", "--tool", "spawn").stdout).length).toBeGreaterThanOrEqual(4);
    // A code in another case is that code; a tool only the log knows (the agent called it) is accepted.
    expect(audit(ws, "show", "--code", "command_not_allowed").stdout).toContain("rm -rf /");
    const frob = audit(ws, "show", "--tool", "frobnicate");
    expect(frob.code).toBe(0);
    expect(rows(frob.stdout)).toHaveLength(1);
    expect(audit(ws, "show", "--tool", "nosuch").stderr).toContain("found in this log: frobnicate");
  });

  it("shows why a call was refused: its code and the reason the agent was given, on the call's one line", () => {
    const refused = rows(audit(ws, "show", "--decision", "deny").stdout);
    const rm = refused.find((row) => row.includes("rm -rf /"));
    expect(rm).toMatch(/spawn\s+deny\s+COMMAND_NOT_ALLOWED\s+rm -rf \/ — refused: /);
    expect(rm).toContain(`refused: ${messageOf(told)}`);
    const pipe = refused.find((row) => row.includes("echo hi | tail"));
    expect(pipe).toMatch(/COMMAND_SYNTAX_FORBIDDEN .*refused: the command line uses `\|`/);
    // A call without a command: the pane it named, and the reason.
    const gone = refused.find((row) => row.includes("gone-pane"));
    expect(gone).toMatch(/read_pane\s+deny\s+PANE_NOT_FOUND\s+gone-pane\s+refused: /);
    expect(gone).toContain(messageOf(toldPane));
    // The exit of a pane says how it ended.
    expect(audit(ws, "show", "--pane", panes[0] as string).stdout).toMatch(
      /exit\s+info\s+p-\S+\s+exit code 0/,
    );
  });

  it("--tool knows every tool the server lists", () => {
    expect([...TOOL_NAMES].sort()).toEqual([...toolsListed].sort());
  });
});

describe("ccmux audit help", () => {
  it("`ccmux audit --help` prints the overview and exits 0", () => {
    const run = spawnSync(process.execPath, [CLI, "audit", "--help"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(AUDIT_USAGE);
  });

  it("each action has its own help, naming its options and exit codes", () => {
    const own: Record<(typeof AUDIT_ACTIONS)[number], string[]> = {
      show: ["--json", "--pane ID", "--decision D", "refused:"],
      tail: ["-n N", "-f, --follow", "--pane ID"],
      summary: ["most refused commands", "--json"],
      verify: ["Exit: 0 intact; 1 broken"],
    };
    for (const action of AUDIT_ACTIONS) {
      const help = auditHelp(action);
      expect(help).toMatch(new RegExp(`^Usage: ccmux audit ${action} `));
      for (const text of own[action]) expect(help).toContain(text);
    }
    expect(auditHelp(undefined)).toBe(AUDIT_USAGE);
    expect(auditHelp("frob")).toBe(AUDIT_USAGE);
  });
});
