import { randomBytes } from "node:crypto";
import { AuditBudget, connectionBytesPerMinute } from "../audit/audit-budget.js";
import { AnomalyDetector, type AnomalyPolicy } from "../validation/anomaly-rules.js";
import type { PolicyLimits } from "../validation/policy-schema.js";
import { ProbingBrake, type ProbingPolicy } from "../validation/probing-brake.js";
import { TokenBucket } from "../validation/rate-limit.js";
import { RecentKills } from "./recent-kills.js";

/**
 * One MCP client connected to this server: its id (in every audit record), call budget, anomaly rules, probing
 * brake, share of the audit log and the panes its session killed (so that a second kill_pane answers like the
 * first).
 */
export class Connection {
  readonly id = `c-${randomBytes(6).toString("hex")}`;
  readonly rateLimit: TokenBucket;
  readonly anomalies: AnomalyDetector;
  readonly brake: ProbingBrake;
  readonly auditBudget: AuditBudget;
  /**
   * @param killedPanes the kills kill_pane answers again: the connection's own, or (in the daemon) its agent
   *   session's, shared by every connection of that session so a reconnect finds them too.
   */
  constructor(
    limits: Pick<PolicyLimits, "callsPerMinute" | "burst">,
    anomalies: AnomalyPolicy & { probing: ProbingPolicy },
    audit: { maxBytes: number; keep: number; connectionBytesPerMinute?: number },
    readonly killedPanes = new RecentKills(),
  ) {
    this.rateLimit = new TokenBucket(limits.callsPerMinute, limits.burst ?? limits.callsPerMinute);
    this.anomalies = new AnomalyDetector(anomalies);
    this.brake = new ProbingBrake(anomalies.probing, (text) => this.anomalies.sensitiveIn(text));
    this.auditBudget = new AuditBudget(audit.connectionBytesPerMinute ?? connectionBytesPerMinute(audit));
  }
}
