import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";
import type { RunResult } from "../support/run-result.js";

/** `run` (issue 14, part 1) through the real MCP client against the built CLI. */

const POLICY = {
  commands: [
    { command: "bash", args: ["{path}", "{path} *"] },
    { command: "echo", args: ["**"] },
    { command: "true" },
  ],
  env: { pass: ["PATH", "HOME", "LANG"], fromAgent: [] },
  limits: { maxWaiters: 2, maxExitedPanes: 3, callsPerMinute: 10_000, burst: 10_000 },
};

describe.each([
  ["sandbox.mode: off", "off"],
  ["sandbox.mode: required", "required"],
] as const)("run: one call for the exit code and the output (%s)", (_label, mode) => {
  let ws: TestWorkspace;
  let mcp: Served;

  beforeAll(async () => {
    ws = makeWorkspace({ ...POLICY, sandbox: { mode } });
    // Prints line-1 … line-N, then exits with status 3.
    writeFileSync(
      join(ws.root, "count.sh"),
      'count=$1; [ -n "$count" ] || count=120\nfor i in $(seq 1 "$count"); do echo "line-$i"; done\nexit 3\n',
    );
    writeFileSync(join(ws.root, "slow.sh"), "echo started\nexec sleep 60\n");
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  async function paneIds(): Promise<string[]> {
    const { panes } = await mcp.ok<{ panes: Array<{ pane: string }> }>("list_panes");
    return panes.map((pane) => pane.pane);
  }

  it("returns the exit status and the output's last 50 lines, saying how many were cut", async () => {
    const ran = await mcp.ok<RunResult>("run", { command: "bash count.sh", timeout_ms: 20_000 });
    expect(ran).toMatchObject({ exitCode: 3, signal: null, alive: false, reason: "exited", truncated: 70 });
    const lines = ran.output.split("\n");
    expect(lines[0]).toBe("[… 70 earlier lines truncated …]");
    expect(lines.slice(1)).toEqual(Array.from({ length: 50 }, (_, i) => `line-${i + 71}`));
    // The pane stays: its whole history is readable.
    const read = await mcp.ok<{ text: string; exitCode: number }>("read_pane", {
      pane: ran.pane,
      mode: "scrollback",
      lines: 200,
    });
    expect(read.text).toContain("line-1\n");
    expect(read.exitCode).toBe(3);
  });

  it("`lines` chooses the tail; short output comes whole; no output is empty", async () => {
    const five = await mcp.ok<RunResult>("run", { command: "bash count.sh 120", lines: 5 });
    expect(five.truncated).toBe(115);
    expect(five.output).toBe(
      ["[… 115 earlier lines truncated …]", "line-116", "line-117", "line-118", "line-119", "line-120"].join(
        "\n",
      ),
    );
    const echo = await mcp.ok<RunResult>("run", { command: "echo hello from run" });
    expect(echo).toMatchObject({ exitCode: 0, output: "hello from run", truncated: 0, name: "echo" });
    const quiet = await mcp.ok<RunResult>("run", { command: "true" });
    expect(quiet).toMatchObject({ exitCode: 0, output: "", truncated: 0 });
  });

  it("a program still running at the timeout goes on in its pane, and the pane tools work on it", async () => {
    const ran = await mcp.ok<RunResult>("run", { command: "bash slow.sh", timeout_ms: 500 });
    expect(ran).toMatchObject({ alive: true, reason: "timeout", exitCode: null, signal: null });
    expect(ran.output).toBe("started");
    expect(ran.elapsedMs).toBeGreaterThanOrEqual(500);
    expect(await paneIds()).toContain(ran.pane);
    const killed = await mcp.ok<{ alive: boolean }>("kill_pane", { pane: ran.pane });
    expect(killed.alive).toBe(false);
  });

  it("shell syntax and unlisted programs are refused with spawn's codes, audited, and nothing starts", async () => {
    const before = await paneIds();
    const cases: Array<[string, string]> = [
      ["echo hi; bash count.sh", "COMMAND_SYNTAX_FORBIDDEN"],
      ["echo $(id)", "COMMAND_SYNTAX_FORBIDDEN"],
      ["echo hi > out.txt", "COMMAND_SYNTAX_FORBIDDEN"],
      ["echo `id`", "COMMAND_SYNTAX_FORBIDDEN"],
      ["echo a | bash", "COMMAND_SYNTAX_FORBIDDEN"],
      ["id", "COMMAND_NOT_ALLOWED"],
      ["bash -c id", "ARGS_NOT_ALLOWED"],
    ];
    for (const [command, code] of cases) await mcp.refused("run", { command }, code);
    expect(await paneIds()).toEqual(before);
    const denied = readAudit(ws.auditPath).filter(
      (record) => record.tool === "run" && record.decision === "deny",
    );
    expect(denied.map((record) => record.code)).toEqual(cases.map(([, code]) => code));
  });

  it("a connection at its maxWaiters is refused with LIMIT_EXCEEDED before anything starts", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash slow.sh" });
    const waits = [1, 2].map(() => mcp.call("wait_for", { pane, exit: true, timeout_ms: 60_000 }));
    // Both waits are pending once a third is refused (a wait of 0 ms changes nothing otherwise).
    await expect
      .poll(async () => (await mcp.call("wait_for", { pane, exit: true, timeout_ms: 0 })).isError, {
        timeout: 10_000,
      })
      .toBe(true);
    const before = await paneIds();
    await mcp.refused("run", { command: "echo not started" }, "LIMIT_EXCEEDED");
    expect(await paneIds()).toEqual(before);
    await mcp.ok("kill_pane", { pane });
    await Promise.all(waits);
  });

  it("exited run panes are kept like any other, within maxExitedPanes", async () => {
    const ran: RunResult[] = [];
    for (let i = 0; i < 4; i++) ran.push(await mcp.ok<RunResult>("run", { command: `echo kept-${i}` }));
    const live = await paneIds();
    expect(live).not.toContain(ran[0]?.pane);
    for (const each of ran.slice(1)) expect(live).toContain(each.pane);
    await mcp.refused("read_pane", { pane: ran[0]?.pane }, "PANE_NOT_FOUND");
  });
});
