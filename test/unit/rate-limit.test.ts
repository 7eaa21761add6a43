import { describe, expect, it } from "vitest";
import { CcmuxError } from "../../src/errors.js";
import { TokenBucket } from "../../src/validation/rate-limit.js";

describe("token bucket", () => {
  it("allows a burst, then refuses with RATE_LIMITED and the time until the next token", () => {
    let now = 0;
    const bucket = new TokenBucket(60, 3, () => now);
    for (let i = 0; i < 3; i++) bucket.take();
    let error: unknown;
    try {
      bucket.take();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CcmuxError);
    expect((error as CcmuxError).code).toBe("RATE_LIMITED");
    expect((error as CcmuxError).data.retryAfterMs).toBe(1000);
    now = 1000;
    expect(() => bucket.take()).not.toThrow();
    expect(() => bucket.take()).toThrow(CcmuxError);
  });

  it("refills at callsPerMinute and never above the burst", () => {
    let now = 0;
    const bucket = new TokenBucket(120, 2, () => now);
    now = 3_600_000;
    bucket.take();
    bucket.take();
    expect(() => bucket.take()).toThrow(/retry after 500 ms/);
  });
});
