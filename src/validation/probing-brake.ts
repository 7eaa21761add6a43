import { CcmuxError } from "../errors.js";
import { type ProbeSignal, probeSignals, type RefusedCall } from "./probe-signals.js";

/** The probing brake's settings (policy `anomalies.probing`). */
export interface ProbingPolicy {
  /** Refusals within `windowMs` after which each further refused call is answered `slowMs` later. */
  slowAfter: number;
  windowMs: number;
  slowMs: number;
  /** Probe points (see probe-signals.ts) within `probeWindowMs` that block the connection for `cooldownMs`. */
  blockAfter: number;
  probeWindowMs: number;
  cooldownMs: number;
}

/** A `probing` security event: the brake engaged (medium) or the connection was blocked (high). */
export interface BrakeEvent {
  severity: "medium" | "high";
  message: string;
  detail: Record<string, unknown>;
}

/** What the brake makes of one refused call. */
export interface BrakeVerdict {
  /** How long to hold this refused call's answer back (0: answer now). */
  holdMs: number;
  /** Said to the agent once, with the refusal that engaged the brake or blocked the connection. */
  notice?: string;
  events: BrakeEvent[];
}

/** Distinct programs refused as not allowed within the probe window before each further one is a signal. */
const FREE_DENIED_PROGRAMS = 10;
/**
 * Tools that act: what a blocked connection may no longer call. Security: `run` starts programs as spawn does;
 * left out, a blocked connection would go on starting them through it.
 */
const ACTING_TOOLS = new Set(["spawn", "run", "send_keys"]);
/** Pane ids remembered as given to this connection (spawned, listed); the oldest are forgotten past it. */
const MAX_GIVEN_PANES = 4096;

/**
 * Refusals that count towards slowing: of the policy itself, and of malformed or oversized calls. Security:
 * refused calls of unknown fields (INVALID_ARGUMENT) or past a size bound used to neither slow down nor count,
 * and flooded the audit history. A pane already gone (PANE_NOT_FOUND, PANE_EXITED) is not counted, nor is one a
 * person is typing in (PANE_BUSY: an agent that retries until they let go is waiting, not probing), nor are
 * refusals of the limits themselves (RATE_LIMITED) or of the brake (ANOMALY_BLOCKED).
 */
const SLOWING_CODES: ReadonlySet<string> = new Set([
  "INVALID_ARGUMENT",
  "UNKNOWN_KEY",
  "LIMIT_EXCEEDED",
  "COMMAND_SYNTAX_FORBIDDEN",
  "COMMAND_NOT_ALLOWED",
  "ARGS_NOT_ALLOWED",
  "PATH_OUTSIDE_WORKSPACE",
  "PATH_INVALID",
  "ENV_NOT_ALLOWED",
  "INPUT_NOT_ALLOWED",
  "PANE_FORBIDDEN",
]);

/**
 * The probing brake (seed §6.2), per connection. Honest mistakes and attacks are told apart:
 * - every refusal counts towards slowing; past `slowAfter` in `windowMs`, refused calls are answered one at a
 *   time, `slowMs` apart (concurrent refusals queue). Allowed calls are never held back.
 * - only probe signals (probe-signals.ts) count towards a block: past `blockAfter` points in `probeWindowMs`,
 *   the connection may not spawn, type, or touch panes not its own for `cooldownMs`.
 * Pure apart from the clock.
 */
export class ProbingBrake {
  private readonly refusals: number[] = [];
  private readonly signals = new Map<string, { at: number; signal: ProbeSignal }>();
  private readonly deniedPrograms = new Map<string, number>();
  private readonly givenPanes = new Set<string>();
  private releaseAt = 0;
  private slowed = false;
  private blockedUntil = 0;
  private blockedFor = "";

  constructor(
    private readonly policy: ProbingPolicy,
    private readonly sensitive: (text: string) => string[],
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Before a call runs: throws ANOMALY_BLOCKED while the connection is blocked and the call would act
   * (spawn, send_keys) or names a pane not its own (`foreignPane`). Its own panes stay readable and killable.
   */
  gate(tool: string, foreignPane: boolean): void {
    const now = this.now();
    if (now < this.blockedUntil && (ACTING_TOOLS.has(tool) || foreignPane)) {
      const retryAfterMs = Math.ceil(this.blockedUntil - now);
      throw new CcmuxError(
        "ANOMALY_BLOCKED",
        `Refused: this connection is blocked after calls that probe beyond the policy (${this.blockedFor}); retry after ${retryAfterMs} ms.`,
        { data: { rule: "probing", retryAfterMs } },
      );
    }
  }

  /** Remembers pane ids this connection was given (spawn, list_panes): asking for them again is not guessing. */
  given(panes: readonly string[]): void {
    for (const pane of panes) {
      this.givenPanes.delete(pane);
      this.givenPanes.add(pane);
    }
    for (const oldest of this.givenPanes) {
      if (this.givenPanes.size <= MAX_GIVEN_PANES) break;
      this.givenPanes.delete(oldest);
    }
  }

  /** Whether this connection was ever given `pane`. */
  wasGiven(pane: string): boolean {
    return this.givenPanes.has(pane);
  }

  /** After a call was refused: counts it, and says how long to hold its answer and what to tell. */
  refused(call: RefusedCall): BrakeVerdict {
    const now = this.now();
    this.prune(now);
    const events: BrakeEvent[] = [];
    const notices: string[] = [];
    if (SLOWING_CODES.has(call.code)) this.refusals.push(now);
    for (const signal of this.signalsOf(call, now)) {
      const key = `${signal.kind}\u0000${signal.key}`;
      if (!this.signals.has(key)) this.signals.set(key, { at: now, signal });
    }
    const { slowAfter, windowMs, slowMs, blockAfter, probeWindowMs, cooldownMs } = this.policy;
    const points = this.points();
    if (points >= blockAfter && now >= this.blockedUntil) {
      this.blockedUntil = now + cooldownMs;
      const why = this.describe(now);
      this.blockedFor = why;
      events.push({
        severity: "high",
        message: `${points} probe points within ${probeWindowMs} ms (${why}); the connection may not spawn, type or reach other panes for ${cooldownMs} ms`,
        detail: { points, probeWindowMs, cooldownMs, signals: this.signalList() },
      });
      notices.push(
        `ccmux: this connection is now blocked from spawning, typing and other panes for ${Math.round(cooldownMs / 1000)} s: its refused calls reach for what an honest task does not need (${why}). The person is told.`,
      );
      // The count starts again after the block: a block is not extended by its own aftermath.
      this.signals.clear();
    }
    let holdMs = 0;
    if (SLOWING_CODES.has(call.code) && this.refusals.length > slowAfter) {
      const release = Math.max(now, this.releaseAt) + slowMs;
      this.releaseAt = release;
      holdMs = release - now;
    }
    if (holdMs > 0 && !this.slowed) {
      this.slowed = true;
      events.push({
        severity: "medium",
        message: `${this.refusals.length} refusals within ${windowMs} ms; refused calls are now answered ${slowMs} ms apart (allowed calls are not slowed)`,
        detail: { refusals: this.refusals.length, windowMs, slowMs },
      });
      notices.push(
        `ccmux: ${this.refusals.length} refused calls within ${Math.round(windowMs / 1000)} s, so refused calls are now answered ${slowMs} ms apart; allowed calls are not slowed. Follow the "Instead:" advice in the refusal rather than trying variants.`,
      );
    }
    return { holdMs, ...(notices.length > 0 ? { notice: notices.join(" ") } : {}), events };
  }

  /** The call's signals, plus one for each distinct program past the first few refused as not allowed. */
  private signalsOf(call: RefusedCall, now: number): ProbeSignal[] {
    const signals = probeSignals(call, this.sensitive);
    const program = call.data.program;
    if (call.code === "COMMAND_NOT_ALLOWED" && typeof program === "string") {
      this.deniedPrograms.set(program.slice(0, 128), now);
      // Security: enumerating which interpreters and network tools exist (nc, socat, python, perl, …).
      if (this.deniedPrograms.size > FREE_DENIED_PROGRAMS) {
        signals.push({ kind: "many-programs", weight: 1, key: program.slice(0, 128) });
      }
    }
    return signals;
  }

  private points(): number {
    let sum = 0;
    for (const { signal } of this.signals.values()) sum += signal.weight;
    return sum;
  }

  private signalList(): Array<{ kind: string; key: string }> {
    return [...this.signals.values()].map(({ signal }) => ({ kind: signal.kind, key: signal.key }));
  }

  /** `hidden-path ×3, hook-env ×1`: the kinds that led to a block, for the agent and the person. */
  private describe(now: number): string {
    const counts = new Map<string, number>();
    for (const { at, signal } of this.signals.values()) {
      if (now - at <= this.policy.probeWindowMs) counts.set(signal.kind, (counts.get(signal.kind) ?? 0) + 1);
    }
    if (counts.size === 0) return "see the audit log";
    return [...counts].map(([kind, n]) => `${kind} ×${n}`).join(", ");
  }

  private prune(now: number): void {
    const { windowMs, probeWindowMs } = this.policy;
    while (this.refusals.length > 0 && now - (this.refusals[0] as number) > windowMs) this.refusals.shift();
    if (this.refusals.length <= this.policy.slowAfter) this.slowed = false;
    for (const [key, { at }] of this.signals) if (now - at > probeWindowMs) this.signals.delete(key);
    for (const [program, at] of this.deniedPrograms)
      if (now - at > probeWindowMs) this.deniedPrograms.delete(program);
  }
}
