import { describe, expect, it } from "vitest";
import {
  BACKLOG_MS,
  backlogBytes,
  FIRST_BACKLOG_BYTES,
  MAX_BACKLOG_BYTES,
  MIN_BACKLOG_BYTES,
  ParseCost,
} from "../../src/panes/parse-cost.js";

describe("ParseCost: what a pane's output costs to parse", () => {
  it("knows nothing before a piece worth timing: tiny quick pieces are clock noise", () => {
    const cost = new ParseCost();
    expect(cost.sample(100, 0.01)).toBe(false);
    expect(cost.nsPerByte).toBeUndefined();
    expect(cost.sample(0, 5)).toBe(false);
    expect(cost.nsPerByte).toBeUndefined();
  });

  it("a tiny piece that took long counts: 32 bytes of full resets are worth timing", () => {
    const cost = new ParseCost();
    expect(cost.sample(32, 0.9)).toBe(true);
    expect(cost.nsPerByte).toBeCloseTo(28_125, 0);
  });

  it("rises to a costlier piece at once, and says so once it doubled since last told", () => {
    const cost = new ParseCost();
    expect(cost.sample(2048, 0.004)).toBe(true); // first measure: told
    expect(cost.tell()).toBeCloseTo(1.953, 2);
    expect(cost.sample(2048, 0.006)).toBe(false); // 1.5×: not yet worth a message
    expect(cost.nsPerByte).toBeCloseTo(2.93, 1);
    expect(cost.sample(2048, 50)).toBe(true); // a flood of resets begins
    expect(cost.nsPerByte).toBeCloseTo(24_414, 0);
  });

  it("falls slowly: one cheap piece does not forget a costly flood", () => {
    const cost = new ParseCost();
    cost.sample(2048, 50);
    cost.tell();
    cost.sample(2048, 0.004);
    expect(cost.nsPerByte).toBeGreaterThan(20_000);
    for (let i = 0; i < 200; i++) cost.sample(2048, 0.004);
    expect(cost.nsPerByte).toBeLessThan(3);
    // Falling is never told early: the bound widens with the next acknowledgement.
    expect(cost.sample(2048, 0.004)).toBe(false);
  });
});

describe("backlogBytes: how much of a pane's output may wait unparsed", () => {
  it("is FIRST_BACKLOG_BYTES before anything was measured", () => {
    expect(backlogBytes(undefined)).toBe(FIRST_BACKLOG_BYTES);
    expect(backlogBytes(Number.NaN)).toBe(FIRST_BACKLOG_BYTES);
  });

  it("is the widest bound for plain text (a few ns a byte)", () => {
    expect(backlogBytes(3)).toBe(MAX_BACKLOG_BYTES);
    expect(backlogBytes(0)).toBe(MAX_BACKLOG_BYTES);
  });

  it("is what parses in BACKLOG_MS for costly output, never under one pty read", () => {
    const resets = 27_000; // x ESC c, measured
    expect(backlogBytes(resets)).toBe(Math.floor((BACKLOG_MS * 1e6) / resets));
    expect((backlogBytes(resets) * resets) / 1e6).toBeLessThanOrEqual(BACKLOG_MS);
    expect(backlogBytes(1e9)).toBe(MIN_BACKLOG_BYTES);
  });
});
