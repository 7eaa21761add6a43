import { CcmuxError } from "../errors.js";

/**
 * A token bucket: `capacity` calls at once, refilled at `perMinute`. One per connection, so one agent's
 * flood cannot spend another's budget.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly perMinute: number,
    private readonly capacity: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.updatedAt = now();
  }

  /** Takes one token or throws RATE_LIMITED with the milliseconds until one is available. */
  take(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) * this.perMinute) / 60_000);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return;
    }
    const retryAfterMs = Math.ceil(((1 - this.tokens) * 60_000) / this.perMinute);
    throw new CcmuxError("RATE_LIMITED", `Too many calls: retry after ${retryAfterMs} ms.`, {
      data: { retryAfterMs, callsPerMinute: this.perMinute },
    });
  }
}
