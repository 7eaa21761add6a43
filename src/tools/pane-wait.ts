import { z } from "zod";
import { CcmuxError } from "../errors.js";
import type { PaneWaitResult } from "../panes/pane-host.js";
import type { HistoryMark } from "../panes/pane-screen.js";
import { RegexMatcher } from "../panes/regex-matcher.js";
import type { TextQuery } from "../panes/text-query.js";
import { untilSettled } from "../shared/until-settled.js";
import { checkWaitRegexShape } from "../shared/wait-regex.js";
import { paneAgentText } from "./pane-access.js";
import { type CallContext, cancelled } from "./tool-registry.js";

export const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * The screen text for the answer may take until this long past the timeout (the wait's own final check
 * included); after that the wait answers with the last screen text known (the tool promises timeout_ms
 * within 100 ms). Passed to the host as the wait's `screenBy`.
 */
const SNAPSHOT_GRACE_MS = 25;
/** When the wait itself ended past that grace, the screen still gets this long to answer. */
const SNAPSHOT_LATE_MS = 5;
/** With `return: "match"`, a wait that did not match returns this many last lines of the screen. */
export const UNMATCHED_TAIL_LINES = 10;

/** The fields of a wait: wait_for's input (with `pane`) and send_keys' `wait` object. */
export const waitFields = {
  text: z.string().min(1).max(4096).optional().describe("Literal text to wait for (as read_pane shows it)."),
  regex: z
    .string()
    .optional()
    .describe(
      "RE2 regular expression to wait for (linear-time: no backreferences or lookaround); ^ and $ match at line ends.",
    ),
  exit: z.boolean().optional().describe("Also return as soon as the process exits."),
  timeout_ms: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(`Give up after this long (default ${DEFAULT_TIMEOUT_MS}; capped by the policy's maxWaitMs).`),
  since: z
    .literal("now")
    .optional()
    .describe(
      '"now": only text printed after this call began counts (old prompts and earlier output never match); cells a program rewrote count, a line editor redrawing the same text left of where the cursor was does not. Omitted: the screen as it was when the wait began, plus everything printed since.',
    ),
  return: z
    .enum(["match", "screen"])
    .optional()
    .describe(
      `What \`text\` holds. "match" (default): the matched lines with up to 5 lines before and 2 after (at most 4000 characters), or the screen's last ${UNMATCHED_TAIL_LINES} lines when nothing matched. "screen": the whole screen.`,
    ),
};

const waitObject = z.strictObject(waitFields);
export type WaitArgs = z.output<typeof waitObject>;

/** send_keys' `wait`: the same fields; it always waits since "now" (before the keys went out). */
export const sendKeysWaitField = waitObject
  .optional()
  .describe(
    'Wait after sending, as wait_for with since "now" (taken before the keys are written, so the fastest answer is not missed): text/regex/exit, timeout_ms, return. Its result comes back as `wait`.',
  );

/** What a wait answers: wait_for's result without `pane`, and send_keys' `wait`. */
export const waitResultShape = {
  matched: z
    .boolean()
    .describe("True when the text/regex appeared, or (with exit: true) the process exited."),
  reason: z.enum(["matched", "exited", "timeout", "aborted"]),
  elapsedMs: z.number().int(),
  alive: z.boolean(),
  exitCode: z.number().int().nullable(),
  signal: z.number().int().nullable().describe("The signal that ended the process, if one did."),
  text: z
    .string()
    .describe(
      'Sanitized. return "match": the matched lines and some context (or the last lines when nothing matched); "screen": the screen when the wait ended.',
    ),
  truncated: z.boolean(),
};
export const waitResult = z.object(waitResultShape);
export type WaitAnswer = z.output<typeof waitResult>;

/** A wait whose arguments passed every check; its regex (if any) compiled. Run it once, or close it. */
export interface PreparedWait {
  readonly args: WaitArgs;
  readonly started: number;
  readonly timeoutMs: number;
  readonly query: TextQuery | undefined;
  readonly matcher: RegexMatcher | undefined;
}

/**
 * Waits of one connection: the checks, limits (maxWaiters, maxWaitMs) and result shape wait_for and
 * send_keys' `wait` share. `prepare` refuses bad arguments (INVALID_ARGUMENT) and too many waits
 * (LIMIT_EXCEEDED) before the caller acts; `run` waits and answers.
 */
export class PaneWaits {
  private waiting = 0;

  /** The checks that need nothing but the arguments (INVALID_ARGUMENT); prepare runs them too. */
  check(args: WaitArgs): void {
    if (args.text !== undefined && args.regex !== undefined) {
      throw new CcmuxError("INVALID_ARGUMENT", "Give text or regex, not both.");
    }
    if (args.text === undefined && args.regex === undefined && !args.exit) {
      throw new CcmuxError("INVALID_ARGUMENT", "Give text, regex or exit: true.");
    }
    // Refused here with a code when the pattern is too long or too costly; its syntax and exact cost are
    // checked where it is compiled and matched, on a thread of its own (RegexMatcher).
    if (args.regex !== undefined) checkWaitRegexShape(args.regex);
  }

  /**
   * Checks `args`, takes one of the connection's maxWaiters and compiles the regex (on its thread). Throws
   * CcmuxError (INVALID_ARGUMENT, LIMIT_EXCEEDED); nothing is held when it does.
   */
  async prepare(args: WaitArgs, ctx: CallContext): Promise<PreparedWait> {
    const { limits } = ctx.deps.policy;
    const started = Date.now();
    this.check(args);
    if (this.waiting >= limits.maxWaiters) {
      throw new CcmuxError(
        "LIMIT_EXCEEDED",
        `At most ${limits.maxWaiters} wait_for calls (send_keys waits included) may be pending at once.`,
      );
    }
    const query: TextQuery | undefined =
      args.regex !== undefined
        ? { regex: args.regex }
        : args.text !== undefined
          ? { text: args.text }
          : undefined;
    const matcher = args.regex !== undefined ? new RegexMatcher(args.regex) : undefined;
    this.waiting += 1;
    try {
      // A call cancelled while its matcher thread starts ends now: it held one of maxWaiters until the thread
      // had started and compiled, which under load took long enough for an agent that cancels and asks again to
      // fill them all (attack review: its other calls were then refused LIMIT_EXCEEDED, and slowed as probing).
      if (matcher && (await untilSettled(matcher.ready, { signal: ctx.signal })).kind === "aborted")
        throw cancelled();
    } catch (error) {
      this.waiting -= 1;
      matcher?.close();
      throw error;
    }
    return {
      args,
      started,
      timeoutMs: Math.min(args.timeout_ms ?? DEFAULT_TIMEOUT_MS, limits.maxWaitMs),
      query,
      matcher,
    };
  }

  /** Gives up a prepared wait that will not run (the call failed before it could). */
  discard(wait: PreparedWait): void {
    this.waiting -= 1;
    wait.matcher?.close();
  }

  /**
   * Runs a prepared wait on pane `id`. `sinceMark`: a since-mark the caller took (send_keys, before typing);
   * otherwise `args.since` decides. Notes the outcome for the audit log.
   */
  async run(
    wait: PreparedWait,
    id: string,
    ctx: CallContext,
    sinceMark?: Promise<HistoryMark | undefined>,
  ): Promise<WaitAnswer> {
    const { args, started } = wait;
    const excerpt = (args.return ?? "match") === "match";
    const result = await this.outcome(wait, id, ctx, sinceMark);
    const { outcome, pane } = result;
    let raw: string;
    if (excerpt && result.excerpt !== undefined) raw = result.excerpt;
    else {
      const screen = result.screen ?? "";
      raw = excerpt ? screen.split("\n").slice(-UNMATCHED_TAIL_LINES).join("\n") : screen;
    }
    const { text, truncated } = paneAgentText(pane, raw);
    return {
      matched: outcome === "matched" || (outcome === "exited" && args.exit === true),
      reason: outcome,
      elapsedMs: Date.now() - started,
      alive: pane.alive,
      exitCode: pane.exit?.exitCode ?? null,
      signal: pane.exit?.signal ?? null,
      text,
      truncated,
    };
  }

  /**
   * Runs a prepared wait on pane `id` and resolves with how it ended and the pane then (run, without building
   * wait_for's text; `run` builds it). Notes the outcome for the audit log.
   */
  async outcome(
    wait: PreparedWait,
    id: string,
    ctx: CallContext,
    sinceMark?: Promise<HistoryMark | undefined>,
  ): Promise<PaneWaitResult> {
    const { args, started, timeoutMs, query, matcher } = wait;
    const excerpt = (args.return ?? "match") === "match";
    let result: PaneWaitResult;
    try {
      result = await ctx.deps.host.wait(id, {
        query,
        matcher,
        exit: args.exit,
        since: args.since === "now",
        sinceMark,
        excerpt,
        timeoutMs: Math.max(0, timeoutMs - (Date.now() - started)), // starting the matcher counts
        // The screen for the answer may take until shortly past the timeout, never much longer.
        screenBy: Math.max(started + timeoutMs + SNAPSHOT_GRACE_MS, Date.now() + SNAPSHOT_LATE_MS),
        signal: ctx.signal,
        onProgress: (elapsed) => ctx.progress(elapsed, timeoutMs, "waiting"),
      });
    } finally {
      this.waiting -= 1;
      matcher?.close();
    }
    ctx.note({ pane: result.pane.id, outcome: result.outcome });
    return result;
  }
}
