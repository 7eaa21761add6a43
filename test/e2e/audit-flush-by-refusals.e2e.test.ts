import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLI,
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * Refused calls of about 62 KB each (unknown fields) neither slowed down nor counted as probing, and calls
 * past the rate limit were logged whole too: at the default rate they rotated the whole default history
 * away in about 25 minutes. The smallest history the policy allows (64 KiB × 2 files) shows it here.
 */
let ws: TestWorkspace | undefined;
let mcp: Served | undefined;
afterEach(async () => {
  await mcp?.close();
  ws?.cleanup();
});

const HISTORY_BYTES = 65_536 * 2;

/** About 50 KB of unknown fields, in small strings (each string alone is under the log's cut). */
function junk(i: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: 800 }, (_, k) => [`f${i}_${k}`, "j".repeat(56)]));
}

/** The smallest kept history the policy allows: 64 KiB files, one rotated file kept. */
function smallestHistory(workspace: TestWorkspace, audit: Record<string, unknown> = {}): void {
  const policy = JSON.parse(readFileSync(workspace.policyPath, "utf8")) as { audit: Record<string, unknown> };
  policy.audit = { ...policy.audit, maxBytes: 65_536, keep: 1, ...audit };
  writeFileSync(workspace.policyPath, JSON.stringify(policy));
}

function verify(auditPath: string): { status: number | null; stdout: string } {
  const run = spawnSync(process.execPath, [CLI, "audit", "verify", "--file", auditPath], {
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout };
}

describe("one connection cannot flush the audit history away", () => {
  it("a flood of 50 KB refusals and calls past the rate limit keeps the history, counted in a summary", async () => {
    ws = makeWorkspace({
      commands: [{ command: "echo", args: ["**"] }],
      limits: { callsPerMinute: 40 },
      anomalies: { probing: { slowAfter: 5, blockAfter: 10_000, slowMs: 1 }, lateral: { panes: 1024 } },
      sandbox: { mode: "off" },
    });
    // The budget a 16 MiB × 11 history gets, scaled to this 128 KiB one (below the 64 KiB floor).
    smallestHistory(ws, { connectionBytesPerMinute: 8_192 });
    mcp = await serveWorkspace(ws);
    await mcp.ok("spawn", { command: "echo before-the-flood" });
    const codes = new Set<string>();
    for (let i = 0; i < 80; i++) {
      const result = await mcp.call("spawn", { command: "echo hi", ...junk(i) });
      codes.add(String((result.content[0] as { text: string }).text.split(":")[0]));
    }
    expect(codes).toEqual(new Set(["INVALID_ARGUMENT", "RATE_LIMITED"]));
    await mcp.close();
    mcp = undefined;

    // The whole kept history: the rotated file, then the current one.
    const records = [
      ...(existsSync(`${ws.auditPath}.1`) ? readAudit(`${ws.auditPath}.1`) : []),
      ...readAudit(ws.auditPath),
    ];
    // The work before the flood is still in the kept history, and nothing was rotated away.
    expect(records[0]?.event).toBe("header");
    expect(records.some((r) => r.event === "start")).toBe(true);
    expect(
      records.some(
        (r) => r.tool === "spawn" && (r.args as { command?: string })?.command === "echo before-the-flood",
      ),
    ).toBe(true);
    // Malformed calls count as probing now.
    expect(records.some((r) => r.event === "security" && r.rule === "probing")).toBe(true);
    // Every refused call is accounted for: written whole, or counted in a summary.
    const whole = records.filter((r) => r.event === "call" && r.decision === "deny").length;
    const summaries = records.filter((r) => r.event === "summary");
    const folded = summaries.reduce((sum, r) => sum + (r.calls as number), 0);
    expect(whole + folded).toBe(80);
    expect(summaries.at(-1)).toMatchObject({
      decision: "info",
      byTool: { spawn: expect.any(Number) },
      byCode: { INVALID_ARGUMENT: expect.any(Number), RATE_LIMITED: expect.any(Number) },
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // Control, in numbers: written whole, the folded records alone would have filled the kept history.
    expect(summaries.reduce((sum, r) => sum + (r.bytes as number), 0)).toBeGreaterThan(HISTORY_BYTES);

    const verified = verify(ws.auditPath);
    expect(verified.status).toBe(0);
    expect(verified.stdout).not.toContain("history lost to rotation");
    expect(verified.stdout).toContain(`${folded} refused call(s) past a connection's audit budget`);
  });

  it("allowed calls typing 1 KB each: whole in the log until the budget is spent, then RATE_LIMITED", async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      limits: { callsPerMinute: 100_000 },
      sandbox: { mode: "off" },
    });
    smallestHistory(ws, { connectionBytesPerMinute: 8_192 });
    mcp = await serveWorkspace(ws);
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) {
      const result = await mcp.call("send_keys", {
        pane,
        text: `: ${String(i).padStart(3, "0")} ${"t".repeat(1000)}`,
      });
      answers.push(
        result.isError ? String((result.content[0] as { text: string }).text.split(":")[0]) : "ok",
      );
    }
    const typed = answers.filter((a) => a === "ok").length;
    expect(typed).toBeGreaterThan(2);
    expect(typed).toBeLessThan(15);
    // (The budget refills slowly: on a slow machine one more call may get through later.)
    expect(new Set(answers.filter((a) => a !== "ok"))).toEqual(new Set(["RATE_LIMITED"]));
    await mcp.close();
    mcp = undefined;
    const records = [
      ...(existsSync(`${ws.auditPath}.1`) ? readAudit(`${ws.auditPath}.1`) : []),
      ...readAudit(ws.auditPath),
    ];
    // Everything typed is in the log whole; the refused rest is counted.
    const whole = records.filter((r) => r.tool === "send_keys" && r.decision === "allow");
    expect(whole).toHaveLength(typed);
    for (const r of whole) expect((r.args as { text: string }).text).toMatch(/^: \d{3} t{1000}$/);
    const folded = records
      .filter((r) => r.event === "summary")
      .reduce((sum, r) => sum + (r.calls as number), 0);
    const refusedWhole = records.filter((r) => r.tool === "send_keys" && r.decision === "deny").length;
    expect(folded + refusedWhole).toBe(30 - typed);
    expect(verify(ws.auditPath).stdout).not.toContain("history lost to rotation");
  });

  it("`ccmux audit verify` reports history lost to rotation", async () => {
    ws = makeWorkspace({
      commands: [{ command: "echo", args: ["**"] }],
      limits: { callsPerMinute: 100_000 },
      sandbox: { mode: "off" },
    });
    // A budget out of reach: this test rotates the log on purpose.
    smallestHistory(ws, { connectionBytesPerMinute: 100_000_000 });
    mcp = await serveWorkspace(ws);
    // Allowed calls are always logged whole: enough of them rotate the oldest file away.
    for (let i = 0; i < 600; i++) await mcp.ok("list_panes", {});
    await mcp.close();
    mcp = undefined;
    const verified = verify(ws.auditPath);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toMatch(/history lost to rotation: records seq 1–\d+ \(everything before \d{4}-/);
  });
});
