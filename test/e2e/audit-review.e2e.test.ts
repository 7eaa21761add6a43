import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI,
  eventually,
  makeWorkspace,
  processGone,
  readAudit,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

function ccmuxAudit(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, "audit", ...args], { encoding: "utf8", timeout: 20_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const POLICY = {
  commands: [
    { command: "echo", args: ["**"] },
    { command: "bash", args: ["--norc --noprofile"], input: "raw" },
  ],
  sandbox: { mode: "off" },
};

/** A copy of the log with its lines changed by `edit`, for tampering. */
function tampered(
  ws: TestWorkspace,
  name: string,
  edit: (lines: string[]) => string[],
  raw?: (text: string) => string,
): string {
  const path = join(ws.dir, name);
  const text = readFileSync(ws.auditPath, "utf8");
  const lines = text.split("\n").slice(0, -1);
  writeFileSync(path, raw ? raw(text) : `${edit(lines).join("\n")}\n`);
  return path;
}

describe("ccmux audit: verify, show, summary, tail", () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = makeWorkspace(POLICY);
    const mcp = await serveWorkspace(ws);
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "echo hello" });
    await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
    await mcp.refused("spawn", { command: "rm -rf /" }, "COMMAND_NOT_ALLOWED");
    await mcp.refused("spawn", { command: "rm -rf /" }, "COMMAND_NOT_ALLOWED");
    await mcp.refused("spawn", { command: "cat /etc/shadow" }, "COMMAND_NOT_ALLOWED");
    await mcp.ok("list_panes");
    await mcp.ok("kill_pane", { pane });
    await mcp.close();
    await eventually(() => readAudit(ws.auditPath).some((r) => r.event === "stop"));
  });
  afterAll(() => ws?.cleanup());

  it("verify: an untouched log is intact", () => {
    const out = ccmuxAudit(["verify", "--file", ws.auditPath]);
    expect(out.stdout).toMatch(/^ok: \d+ records in 1 file\(s\), seq 1–\d+/);
    expect(out.code).toBe(0);
  });

  it("verify: an edited record fails at that record (its hash no longer matches)", () => {
    const all = readFileSync(ws.auditPath, "utf8").split("\n");
    const target = all.findIndex((line) => line.includes('"decision":"deny"'));
    expect(target).toBeGreaterThan(0);
    // Make a refusal look allowed, as someone covering tracks would.
    const file = tampered(ws, "edited.jsonl", (lines) =>
      lines.map((line, i) => (i === target ? line.replace('"decision":"deny"', '"decision":"allow"') : line)),
    );
    const out = ccmuxAudit(["verify", "--file", file, "--json"]);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout).broken).toMatchObject({
      line: target + 1,
      seq: target + 1,
      reason: expect.stringContaining("edited"),
    });
  });

  it("verify: a deleted record fails at the one after it", () => {
    const file = tampered(ws, "deleted.jsonl", (lines) => lines.filter((_, i) => i !== 3));
    const out = ccmuxAudit(["verify", "--file", file, "--json"]);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout).broken).toMatchObject({
      line: 4,
      seq: 5,
      reason: expect.stringContaining("jumps"),
    });
  });

  it("verify: reordered records fail at the first one out of place", () => {
    const file = tampered(ws, "reordered.jsonl", (lines) => {
      const copy = [...lines];
      [copy[3], copy[4]] = [copy[4] as string, copy[3] as string];
      return copy;
    });
    const out = ccmuxAudit(["verify", "--file", file, "--json"]);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout).broken).toMatchObject({ line: 4, seq: 5 });
  });

  it("verify: a truncated record fails at that record", () => {
    const cutInside = tampered(ws, "cut.jsonl", (lines) =>
      lines.map((line, i) => (i === 2 ? line.slice(0, 40) : line)),
    );
    expect(JSON.parse(ccmuxAudit(["verify", "--file", cutInside, "--json"]).stdout).broken).toMatchObject({
      line: 3,
      reason: expect.stringContaining("not a JSON record"),
    });
    const cutEnd = tampered(
      ws,
      "torn.jsonl",
      () => [],
      (text) => text.slice(0, text.length - 30),
    );
    const torn = ccmuxAudit(["verify", "--file", cutEnd]);
    expect(torn.code).toBe(1);
    expect(torn.stdout).toMatch(/BROKEN at .*torn\.jsonl:\d+.*cut short/);
  });

  it("show: filters by tool and decision, as a table or as JSONL for jq", () => {
    const table = ccmuxAudit(["show", "--file", ws.auditPath, "--tool", "spawn", "--decision", "deny"]);
    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split("\n").slice(1);
    expect(rows).toHaveLength(3);
    expect(rows.every((row) => row.includes("COMMAND_NOT_ALLOWED"))).toBe(true);
    const json = ccmuxAudit(["show", "--file", ws.auditPath, "--json", "--code", "COMMAND_NOT_ALLOWED"]);
    const records = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records.map((r) => r.args.command)).toEqual(["rm -rf /", "rm -rf /", "cat /etc/shadow"]);
    expect(
      ccmuxAudit(["show", "--file", ws.auditPath, "--json", "--since", "1h"]).stdout.trim().split("\n")
        .length,
    ).toBeGreaterThan(5);
    expect(ccmuxAudit(["show", "--file", ws.auditPath, "--json", "--until", "2000-01-01"]).stdout).toBe("");
    expect(ccmuxAudit(["show", "--file", ws.auditPath, "--since", "yesterday-ish"]).code).toBe(2);
  });

  it("summary: counts by tool, decision and code, the top refused commands, and the chain's state", () => {
    const json = JSON.parse(ccmuxAudit(["summary", "--file", ws.auditPath, "--json"]).stdout);
    expect(json.byTool).toMatchObject({ spawn: 4, list_panes: 1, kill_pane: 1 });
    expect(json.byDecision).toMatchObject({ deny: 3 });
    expect(json.byCode).toMatchObject({ COMMAND_NOT_ALLOWED: 3 });
    expect(json.topRefusedCommands[0]).toEqual({ command: "rm -rf /", count: 2 });
    const text = ccmuxAudit(["summary", "--file", ws.auditPath]).stdout;
    expect(text).toContain("chain: intact");
    expect(text).toMatch(/2\s+rm -rf \//);
  });

  it("tail: the last N records", () => {
    const out = ccmuxAudit(["tail", "--file", ws.auditPath, "-n", "2", "--json"]);
    const records = out.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records).toHaveLength(2);
    expect(records.at(-1).event).toBe("stop");
  });

  it("show sanitizes what the agent wrote: no terminal escapes reach the person's terminal", async () => {
    const ws2 = makeWorkspace(POLICY);
    try {
      const mcp = await serveWorkspace(ws2);
      await mcp.refused(
        "spawn",
        { command: "rm \u001b]0;pwned\u0007 \u202eevil" },
        "COMMAND_SYNTAX_FORBIDDEN",
      );
      // An unknown tool is a JSON-RPC error (issue 11), still audited with its hostile name.
      await expect(mcp.call("\u001b]0;tool\u0007\u009b2J", {})).rejects.toMatchObject({ code: -32602 });
      await mcp.close();
      const out = ccmuxAudit(["show", "--file", ws2.auditPath]).stdout;
      expect(out).not.toContain("\u001b");
      expect(out).not.toContain("\u202e");
      expect(out).toContain("⟨U+202E⟩");
      for (const view of [["summary"], ["summary", "--json"], ["show", "--json"], ["tail", "--json"]]) {
        const text = ccmuxAudit([...view, "--file", ws2.auditPath]).stdout;
        for (const char of ["\u001b", "\u0007", "\u009b", "\u202e"]) expect(text).not.toContain(char);
      }
    } finally {
      ws2.cleanup();
    }
  });
});

describe("ccmux audit tail -f follows a live server", () => {
  let ws: TestWorkspace;
  let child: ChildProcess | undefined;
  beforeAll(() => {
    ws = makeWorkspace(POLICY);
  });
  afterAll(() => {
    child?.kill();
    ws?.cleanup();
  });

  it("prints records as the server appends them", async () => {
    const mcp = await serveWorkspace(ws);
    let output = "";
    child = spawn(process.execPath, [CLI, "audit", "tail", "-f", "-n", "0", "--file", ws.auditPath]);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    // The table header is printed once the existing records are read; following starts right after.
    await eventually(() => output.startsWith("TIME"));
    await mcp.refused("spawn", { command: "rm -rf /followed" }, "COMMAND_NOT_ALLOWED");
    const line = await eventually(() => output.split("\n").find((l) => l.includes("/followed")), 10_000);
    expect(line).toMatch(/spawn\s+deny\s+COMMAND_NOT_ALLOWED/);
    await mcp.close();
  });
});

describe("ccmux audit tail -f across fast rotations", () => {
  let ws: TestWorkspace;
  let child: ChildProcess | undefined;
  beforeAll(() => {
    ws = makeWorkspace(POLICY);
    const policy = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    policy.audit = {
      path: ws.auditPath,
      maxBytes: 65_536,
      keep: 20,
      connectionBytesPerMinute: 100_000_000,
    };
    // Allowed calls are logged whole (refusals past a connection's audit budget are summarised); the budget is
    // set out of reach so one connection can rotate the log here.
    policy.limits = { callsPerMinute: 100_000 };
    writeFileSync(ws.policyPath, JSON.stringify(policy));
  });
  afterAll(() => {
    child?.kill();
    ws?.cleanup();
  });

  it("prints every record once, in order, though the log rotated several times between two looks", async () => {
    const mcp = await serveWorkspace(ws);
    let output = "";
    child = spawn(process.execPath, [CLI, "audit", "tail", "-f", "-n", "0", "--file", ws.auditPath]);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await eventually(() => output.startsWith("TIME"));
    for (let batch = 0; batch < 6; batch++) {
      await Promise.all(Array.from({ length: 150 }, () => mcp.ok("list_panes")));
    }
    await mcp.close();
    const files = JSON.parse(ccmuxAudit(["verify", "--file", ws.auditPath, "--json"]).stdout)
      .files as string[];
    expect(files.length).toBeGreaterThanOrEqual(4);
    const lastSeq = readAudit(ws.auditPath).at(-1)?.seq as number;
    const seqs = await eventually(() => {
      const printed = output
        .split("\n")
        .slice(1)
        .map((row) => Number(row.split(/\s+/)[2]))
        .filter((n) => Number.isInteger(n));
      return printed.at(-1) === lastSeq ? printed : undefined;
    }, 15_000);
    // Every record from the first printed on, across all files, headers aside (show and tail leave them out).
    const all = ccmuxAudit(["show", "--file", ws.auditPath, "--json"])
      .stdout.trim()
      .split("\n")
      .map((line) => JSON.parse(line).seq as number)
      .filter((seq) => seq >= (seqs[0] as number));
    expect(seqs).toEqual(all);
  });
});

describe("the chain across rotation and across servers sharing one log", () => {
  let ws: TestWorkspace;
  beforeAll(() => {
    ws = makeWorkspace({ ...POLICY, audit: { maxBytes: 65_536, keep: 10 } });
    // makeWorkspace put audit.path in the policy; keep it alongside the new fields.
    const policy = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    policy.audit = {
      path: ws.auditPath,
      maxBytes: 65_536,
      keep: 10,
      connectionBytesPerMinute: 100_000_000,
    };
    policy.limits = { callsPerMinute: 100_000 };
    writeFileSync(ws.policyPath, JSON.stringify(policy));
  });
  afterAll(() => ws?.cleanup());

  it("two servers writing at once, and rotation into several files, keep one intact chain", async () => {
    const [a, b] = await Promise.all([serveWorkspace(ws), serveWorkspace(ws)]);
    if (!a || !b) throw new Error("servers did not start");
    // Allowed calls: always logged whole (refusals past a connection's audit budget are summarised).
    for (let i = 0; i < 300; i++) await Promise.all([a.ok("list_panes"), b.ok("list_panes")]);
    await Promise.all([a.close(), b.close()]);
    const verified = JSON.parse(ccmuxAudit(["verify", "--file", ws.auditPath, "--json"]).stdout);
    expect(verified.ok).toBe(true);
    expect(verified.files.length).toBeGreaterThanOrEqual(3);
    expect(verified.records).toBeGreaterThan(240);
    // Both servers' records are there.
    const sessions = new Set(
      ccmuxAudit(["show", "--file", ws.auditPath, "--json"])
        .stdout.trim()
        .split("\n")
        .map((l) => JSON.parse(l).session),
    );
    expect(sessions.size).toBe(2);
  });

  it("a rotated file taken out of the middle breaks the chain at the next file's header", () => {
    const files = JSON.parse(ccmuxAudit(["verify", "--file", ws.auditPath, "--json"]).stdout)
      .files as string[];
    const middle = files[1] as string;
    copyFileSync(middle, `${middle}.bak`);
    writeFileSync(middle, "");
    spawnSync("rm", [middle]);
    const out = ccmuxAudit(["verify", "--file", ws.auditPath, "--json"]);
    copyFileSync(`${middle}.bak`, middle);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout).broken).toMatchObject({
      line: 1,
      reason: expect.stringContaining("does not continue"),
    });
  });
});

describe("audit.redactInput", () => {
  let ws: TestWorkspace;
  beforeAll(() => {
    ws = makeWorkspace(POLICY);
    const policy = JSON.parse(readFileSync(ws.policyPath, "utf8"));
    policy.audit = { path: ws.auditPath, redactInput: true };
    writeFileSync(ws.policyPath, JSON.stringify(policy));
  });
  afterAll(() => ws?.cleanup());

  it("keeps only the length and digest of what the agent typed", async () => {
    const mcp = await serveWorkspace(ws);
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    await mcp.ok("send_keys", { pane, text: "echo typed-by-the-agent", submit: true });
    await mcp.close();
    const log = readFileSync(ws.auditPath, "utf8");
    expect(log).not.toContain("typed-by-the-agent");
    const record = readAudit(ws.auditPath).find((r) => r.tool === "send_keys");
    expect((record?.args as { text?: unknown } | undefined)?.text).toEqual({
      length: "echo typed-by-the-agent".length,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });
});

describe("audit.sync batched loses nothing when ccmux is killed", () => {
  let ws: TestWorkspace;
  beforeAll(() => {
    ws = makeWorkspace(POLICY);
  });
  afterAll(() => ws?.cleanup());

  it("every answered call has its record after kill -9, the chain verifies, and the next start extends it", async () => {
    const mcp = await serveWorkspace(ws);
    const answered: string[] = [];
    for (let i = 0; i < 50; i++) {
      await mcp.refused("spawn", { command: `rm -rf /killed-${i}` }, "COMMAND_NOT_ALLOWED");
      answered.push(`rm -rf /killed-${i}`);
    }
    process.kill(mcp.serverPid, "SIGKILL");
    await eventually(() => processGone(mcp.serverPid));
    const commands = readAudit(ws.auditPath).map(
      (r) => (r.args as { command?: string } | undefined)?.command,
    );
    for (const command of answered) expect(commands).toContain(command);
    expect(ccmuxAudit(["verify", "--file", ws.auditPath]).code).toBe(0);
    const next = await serveWorkspace(ws);
    await next.ok("list_panes");
    await next.close();
    const verified = JSON.parse(ccmuxAudit(["verify", "--file", ws.auditPath, "--json"]).stdout);
    expect(verified).toMatchObject({ ok: true, files: [ws.auditPath] });
    expect(readAudit(ws.auditPath).filter((r) => r.event === "header")).toHaveLength(1);
  });
});
