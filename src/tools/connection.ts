import { randomBytes } from "node:crypto";
import type { PolicyLimits } from "../validation/policy-schema.js";
import { TokenBucket } from "../validation/rate-limit.js";

/** One MCP client connected to this server: its id (in every audit record) and its call budget. */
export class Connection {
  readonly id = `c-${randomBytes(6).toString("hex")}`;
  readonly rateLimit: TokenBucket;

  constructor(limits: Pick<PolicyLimits, "callsPerMinute" | "burst">) {
    this.rateLimit = new TokenBucket(limits.callsPerMinute, limits.burst ?? limits.callsPerMinute);
  }
}
