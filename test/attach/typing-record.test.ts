import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TypingRecord } from "../../src/cli/attach/typing-record.js";

/**
 * A person's typing is audited as one record per burst (issue 13). The timers are vitest's fake ones: the test
 * is about which second a key falls in, which real timers on a busy machine cannot promise.
 */
describe("TypingRecord", () => {
  let records: string[];
  let typing: TypingRecord;
  beforeEach(() => {
    vi.useFakeTimers();
    records = [];
    typing = new TypingRecord(
      (text) => records.push(text),
      () => Date.now(),
    );
  });
  afterEach(() => {
    typing.flush();
    vi.useRealTimers();
  });

  it("a burst of keys less than a second apart is one record, made a second after its last key", () => {
    for (const key of "ls -la") {
      typing.add(key);
      vi.advanceTimersByTime(900);
    }
    // 5.4 s since the first key, 0.9 s since the last: still one burst
    expect(records).toEqual([]);
    vi.advanceTimersByTime(99);
    expect(records).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(records).toEqual(["ls -la"]);
  });

  it("a second's quiet ends a burst; the next key starts another", () => {
    typing.add("a");
    vi.advanceTimersByTime(1000);
    typing.add("b");
    typing.add("c");
    vi.advanceTimersByTime(1000);
    expect(records).toEqual(["a", "bc"]);
    vi.advanceTimersByTime(5000);
    expect(records).toEqual(["a", "bc"]);
  });

  it("4096 characters are recorded at once, without waiting for quiet", () => {
    typing.add("x".repeat(4000));
    expect(records).toEqual([]);
    typing.add("y".repeat(96));
    expect(records).toEqual(["x".repeat(4000) + "y".repeat(96)]);
    typing.add("z");
    vi.advanceTimersByTime(1000);
    expect(records).toHaveLength(2);
    expect(records[1]).toBe("z");
  });

  it("flush records what is pending at once, and the pending timer then records nothing more", () => {
    typing.add("q");
    typing.flush();
    expect(records).toEqual(["q"]);
    vi.advanceTimersByTime(2000);
    expect(records).toEqual(["q"]);
  });
});
