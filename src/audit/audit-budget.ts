import { createHash, type Hash } from "node:crypto";
import { canonicalJson } from "./audit-chain.js";
import type { AuditRecord } from "./audit-log.js";

/** Hours of the kept history (all rotated files) one connection's records may take at most to fill. */
const HISTORY_HOURS = 24;
/**
 * Smallest per-minute budget, whatever the rotation settings: about 160 ordinary records, above the default
 * call rate (120 a minute), so a small log does not slow an ordinary agent down.
 */
const MIN_BYTES_PER_MINUTE = 64 * 1024;
/** A pending summary is written at least this often while records keep being folded into it. */
const SUMMARY_EVERY_MS = 60_000;
/** Distinct tools / codes a summary counts by name; the rest are counted under "(other)". */
const MAX_KEYS = 16;

/**
 * The bytes a minute one connection's records may take: the whole kept history (`maxBytes` × (`keep` + 1))
 * spread over HISTORY_HOURS, at least MIN_BYTES_PER_MINUTE. So one connection needs a day or more to rotate
 * the history away, whoever's records are in it.
 */
export function connectionBytesPerMinute(audit: { maxBytes: number; keep: number }): number {
  const history = audit.maxBytes * (audit.keep + 1);
  return Math.max(MIN_BYTES_PER_MINUTE, Math.floor(history / (HISTORY_HOURS * 60)));
}

/**
 * Where a record goes: into the log (at most `maxBytes`: a bigger one keeps its fields' sizes and digests), or
 * counted in the connection's next `summary` record.
 */
export type BudgetVerdict =
  | { write: true; maxBytes?: number }
  | {
      write: false;
      /** Set for a call that would act: it is refused (RATE_LIMITED) until the budget is back, this many ms. */
      refuseForMs?: number;
    };

/**
 * One connection's share of the audit log: a token bucket of bytes (`bytesPerMinute`, up to one minute's
 * worth saved). Records of allowed calls, and their outcomes, are always written whole and charged — an allowed
 * call that finds the bucket empty is refused with RATE_LIMITED instead (its refusal then folds); a refusal,
 * error or `security` record that finds the bucket empty is folded: counted (calls by tool and code, alerts by
 * rule), its canonical bytes hashed, and written as one `summary` record — before the connection's next whole
 * record, at least once a minute, and at close. Alerts still reach the client and stderr as they happen.
 *
 * Security: refused calls of about 62 KB each rotated the whole default history away in about 25 minutes,
 * and calls past the rate limit were logged whole too. A connection's records now take at most its budget
 * plus one summary a minute, whatever it sends.
 */
/** The share of a minute's budget that refusals cannot spend: it stays for records of calls that act. */
const ACTING_SHARE = 0.5;

export class AuditBudget {
  private tokens: number;
  private updatedAt: number;
  private pending: PendingSummary | undefined;
  /** Rules with a security record written whole since the last summary. */
  private readonly alerted = new Set<string>();

  constructor(
    readonly bytesPerMinute: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.tokens = bytesPerMinute;
    this.updatedAt = now();
  }

  /** Whether `record` (of this connection) is written whole or folded into the summary. */
  verdict(record: AuditRecord): BudgetVerdict {
    const foldable =
      (record.event === "call" && record.decision !== "allow") ||
      // The first alert of each rule since the last summary is always written whole; repeats may fold.
      (record.event === "security" && this.alerted.has(String(record.rule)));
    if (record.event === "security") this.alerted.add(String(record.rule));
    if (record.event === "call" && record.decision === "allow") {
      this.refill();
      // Security: calls that act are never logged condensed, so past the budget they wait instead.
      if (this.tokens <= 0) {
        return { write: false, refuseForMs: Math.ceil(((1 - this.tokens) * 60_000) / this.bytesPerMinute) };
      }
    }
    if (!foldable) return { write: true };
    this.refill();
    // A refusal may not overdraw what is left above the share kept for calls that act (a flood of refusals
    // must not leave the connection's own allowed calls waiting): a bigger one is written condensed.
    const spare = this.tokens - this.bytesPerMinute * ACTING_SHARE;
    return spare > 0 ? { write: true, maxBytes: Math.floor(spare) } : { write: false };
  }

  /** Charges bytes written for this connection. */
  charge(bytes: number): void {
    this.refill();
    this.tokens -= bytes;
  }

  /** Counts a folded record. Returns true when the summary is due (the oldest folded record is a minute old). */
  fold(record: AuditRecord): boolean {
    const at = this.now();
    this.pending ??= {
      calls: 0,
      alerts: {},
      firstAt: at,
      lastAt: at,
      byTool: {},
      byCode: {},
      bytes: 0,
      hash: createHash("sha256"),
    };
    const pending = this.pending;
    const text = canonicalJson(record);
    if (record.event === "security") count(pending.alerts, String(record.rule ?? ""));
    else pending.calls += 1;
    pending.lastAt = at;
    pending.bytes += Buffer.byteLength(text, "utf8");
    pending.hash.update(text).update("\n");
    if (record.event !== "security") {
      count(pending.byTool, String(record.tool ?? "").slice(0, 64));
      count(pending.byCode, String(record.code ?? ""));
    }
    return at - pending.firstAt >= SUMMARY_EVERY_MS;
  }

  /** The summary of what was folded since the last one (and resets it), or undefined when nothing was. */
  takeSummary(connection: string): AuditRecord | undefined {
    const pending = this.pending;
    if (pending === undefined) return undefined;
    this.pending = undefined;
    this.alerted.clear();
    return {
      event: "summary",
      decision: "info",
      // A budget is an MCP client connection's: what it folds are an agent's calls and the alerts they caused.
      origin: "agent",
      connection,
      reason: `records past this connection's audit budget of ${this.bytesPerMinute} bytes a minute: ${pending.calls} refused call(s) and ${sum(pending.alerts)} security alert(s), counted here, not written one by one`,
      calls: pending.calls,
      alerts: pending.alerts,
      from: new Date(pending.firstAt).toISOString(),
      to: new Date(pending.lastAt).toISOString(),
      byTool: pending.byTool,
      byCode: pending.byCode,
      // The folded records as canonical JSON lines: their total size and SHA-256.
      bytes: pending.bytes,
      sha256: pending.hash.digest("hex"),
    };
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.bytesPerMinute, this.tokens + (elapsed * this.bytesPerMinute) / 60_000);
    this.updatedAt = now;
  }
}

interface PendingSummary {
  calls: number;
  /** Security records folded, by rule. */
  alerts: Record<string, number>;
  firstAt: number;
  lastAt: number;
  byTool: Record<string, number>;
  byCode: Record<string, number>;
  bytes: number;
  hash: Hash;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, n) => total + n, 0);
}

function count(into: Record<string, number>, key: string): void {
  const name = Object.hasOwn(into, key) || Object.keys(into).length < MAX_KEYS ? key : "(other)";
  // Object keys from the agent: defined as data, never through the prototype.
  Object.defineProperty(into, name, {
    value: (Object.hasOwn(into, name) ? (into[name] as number) : 0) + 1,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
