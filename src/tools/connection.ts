import { randomBytes } from "node:crypto";
import { AnomalyDetector, type AnomalyPolicy } from "../validation/anomaly-rules.js";
import type { PolicyLimits } from "../validation/policy-schema.js";
import { TokenBucket } from "../validation/rate-limit.js";

/** One MCP client connected to this server: its id (in every audit record), call budget and anomaly rules. */
export class Connection {
  readonly id = `c-${randomBytes(6).toString("hex")}`;
  readonly rateLimit: TokenBucket;
  readonly anomalies: AnomalyDetector;

  constructor(limits: Pick<PolicyLimits, "callsPerMinute" | "burst">, anomalies: AnomalyPolicy) {
    this.rateLimit = new TokenBucket(limits.callsPerMinute, limits.burst ?? limits.callsPerMinute);
    this.anomalies = new AnomalyDetector(anomalies);
  }
}
