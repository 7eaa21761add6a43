import { describe, expect, it } from "vitest";
import { AuditBudget, connectionBytesPerMinute } from "../../src/audit/audit-budget.js";
import type { AuditRecord } from "../../src/audit/audit-log.js";

const refusal = (i: number): AuditRecord => ({
  event: "call",
  decision: "deny",
  tool: "spawn",
  code: "INVALID_ARGUMENT",
  args: { junk: "x".repeat(60_000), i },
});

describe("per-connection audit budget (log flush by refused calls)", () => {
  it("a flood of big refusals is folded once the minute's bytes are spent, and summarised", () => {
    let now = 0;
    const budget = new AuditBudget(16_384, () => now);
    // The first refusal is written, but no bigger than what is left of the refusals' half of the minute's bytes.
    expect(budget.verdict(refusal(0))).toEqual({ write: true, maxBytes: 8_192 });
    budget.charge(8_000);
    expect(budget.verdict(refusal(0))).toEqual({ write: true, maxBytes: 192 });
    budget.charge(600);
    const folded = Array.from({ length: 50 }, (_, i) => budget.verdict(refusal(i + 1)));
    expect(new Set(folded.map((v) => v.write))).toEqual(new Set([false]));
    for (let i = 1; i <= 50; i++) budget.fold(refusal(i));
    const summary = budget.takeSummary("c-1");
    expect(summary).toMatchObject({
      event: "summary",
      decision: "info",
      connection: "c-1",
      calls: 50,
      byTool: { spawn: 50 },
      byCode: { INVALID_ARGUMENT: 50 },
    });
    expect(summary?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(budget.takeSummary("c-1")).toBeUndefined();
    // Budget comes back with time.
    now += 10 * 60_000;
    expect(budget.verdict(refusal(99)).write).toBe(true);
  });

  it("a flood of refusals cannot starve the connection's own allowed calls (half the minute stays theirs)", () => {
    const budget = new AuditBudget(16_384, () => 0);
    for (let i = 0; i < 100; i++) {
      const verdict = budget.verdict(refusal(i));
      if (verdict.write) budget.charge(Math.min(400, verdict.maxBytes ?? 400));
      else budget.fold(refusal(i));
    }
    const allowed: AuditRecord = { event: "call", decision: "allow", tool: "list_panes", args: {} };
    for (let i = 0; i < 20; i++) {
      expect(budget.verdict(allowed)).toEqual({ write: true });
      budget.charge(400);
    }
  });

  it("allowed calls are never folded: past the budget they are refused until it is back; outcomes are written", () => {
    let now = 0;
    const budget = new AuditBudget(16_384, () => now);
    const spawn: AuditRecord = { event: "call", decision: "allow", tool: "spawn", args: { command: "rm x" } };
    expect(budget.verdict(spawn)).toEqual({ write: true });
    budget.charge(16_384 + 8_192);
    expect(budget.verdict(spawn)).toEqual({ write: false, refuseForMs: 30_004 });
    expect(budget.verdict({ event: "outcome", decision: "error", code: "SPAWN_FAILED" })).toEqual({
      write: true,
    });
    now += 30_004;
    expect(budget.verdict(spawn)).toEqual({ write: true });
  });

  it("repeated security records are folded too past the budget (a flood of calls naming ~/.ssh)", () => {
    const budget = new AuditBudget(16_384, () => 0);
    budget.charge(20_000);
    const alert: AuditRecord = { event: "security", decision: "info", rule: "sensitive-path", tool: "spawn" };
    // The first of its rule is written whole, whatever the budget; repeats fold.
    expect(budget.verdict(alert)).toEqual({ write: true });
    expect(budget.verdict({ ...alert, rule: "probing" })).toEqual({ write: true });
    expect(budget.verdict(alert)).toEqual({ write: false });
    budget.fold(alert);
    expect(budget.takeSummary("c")).toMatchObject({ calls: 0, alerts: { "sensitive-path": 1 } });
  });

  it("a summary is due once its oldest folded record is a minute old", () => {
    let now = 0;
    const budget = new AuditBudget(16_384, () => now);
    expect(budget.fold(refusal(1))).toBe(false);
    now += 60_000;
    expect(budget.fold(refusal(2))).toBe(true);
  });

  it("tool names the agent chose are counted as data, capped in number", () => {
    const budget = new AuditBudget(16_384, () => 0);
    for (const tool of ["__proto__", "constructor", ...Array.from({ length: 40 }, (_, i) => `t${i}`)]) {
      budget.fold({ event: "call", decision: "deny", tool, code: "INVALID_ARGUMENT" });
    }
    const byTool = budget.takeSummary("c")?.byTool as Record<string, number>;
    expect(Object.hasOwn(byTool, "__proto__")).toBe(true);
    expect(Object.keys(byTool)).toHaveLength(17);
    expect(byTool["(other)"]).toBe(26);
  });

  it("the default budget lets one connection fill the kept history no faster than in a day", () => {
    const perMinute = connectionBytesPerMinute({ maxBytes: 16 * 1024 * 1024, keep: 10 });
    expect((16 * 1024 * 1024 * 11) / perMinute).toBeGreaterThanOrEqual(24 * 60);
    expect(connectionBytesPerMinute({ maxBytes: 65_536, keep: 1 })).toBe(65_536);
  });
});
