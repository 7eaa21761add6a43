import { z } from "zod";
import { CcmuxError } from "../errors.js";
import type { Pane } from "../panes/pane.js";
import { RegexMatcher } from "../panes/regex-matcher.js";
import type { TextQuery } from "../panes/text-query.js";
import { waitForOutput } from "../panes/wait-for-output.js";
import { checkWaitRegexShape } from "../shared/wait-regex.js";
import { paneAgentText, paneFor } from "./pane-access.js";
import { paneIdField } from "./pane-fields.js";
import type { ToolRegistry } from "./tool-registry.js";

const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * The screen text for the answer may take until this long past the timeout (the wait's own final check
 * included); after that the wait answers with the last screen text known (the tool promises timeout_ms
 * within 100 ms).
 */
const SNAPSHOT_GRACE_MS = 25;
/** When the wait itself ended past that grace, the screen still gets this long to answer. */
const SNAPSHOT_LATE_MS = 5;

const input = z.strictObject({
  pane: paneIdField,
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
});

const output = z.object({
  pane: z.string(),
  matched: z
    .boolean()
    .describe("True when the text/regex appeared, or (with exit: true) the process exited."),
  reason: z.enum(["matched", "exited", "timeout", "aborted"]),
  elapsedMs: z.number().int(),
  alive: z.boolean(),
  exitCode: z.number().int().nullable(),
  text: z.string().describe("The screen when the wait ended, sanitized."),
  truncated: z.boolean(),
});

export function registerWaitForTool(registry: ToolRegistry): void {
  let waiting = 0;
  registry.add({
    name: "wait_for",
    title: "Wait for output or exit",
    description:
      "Waits until text or a regex appears in a pane (on screen, or printed since the wait began), or the process exits, or the timeout passes. Other panes stay usable meanwhile.",
    input,
    output,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async handler(args, ctx) {
      const { limits } = ctx.deps.policy;
      if (args.text !== undefined && args.regex !== undefined) {
        throw new CcmuxError("INVALID_ARGUMENT", "Give text or regex, not both.");
      }
      if (args.text === undefined && args.regex === undefined && !args.exit) {
        throw new CcmuxError("INVALID_ARGUMENT", "Give text, regex or exit: true.");
      }
      // Refused here with a code when the pattern is too long or too costly; its syntax and exact cost are
      // checked where it is compiled and matched, on a thread of its own (RegexMatcher).
      if (args.regex !== undefined) checkWaitRegexShape(args.regex);
      const query: TextQuery | undefined =
        args.regex !== undefined
          ? { regex: args.regex }
          : args.text !== undefined
            ? { text: args.text }
            : undefined;
      const pane = paneFor(ctx.deps, args.pane, "wait_for");
      if (waiting >= limits.maxWaiters) {
        throw new CcmuxError(
          "LIMIT_EXCEEDED",
          `At most ${limits.maxWaiters} wait_for calls may be pending at once.`,
        );
      }
      const timeoutMs = Math.min(args.timeout_ms ?? DEFAULT_TIMEOUT_MS, limits.maxWaitMs);
      const started = Date.now();
      waiting += 1;
      const matcher = args.regex !== undefined ? new RegexMatcher(args.regex) : undefined;
      let outcome: Awaited<ReturnType<typeof waitForOutput>>;
      try {
        await matcher?.ready;
        outcome = await waitForOutput(pane, {
          query,
          matcher,
          exit: args.exit,
          timeoutMs: Math.max(0, timeoutMs - (Date.now() - started)), // starting the matcher counts
          signal: ctx.signal,
          onProgress: (elapsed) => ctx.progress(elapsed, timeoutMs, "waiting"),
        });
      } finally {
        waiting -= 1;
        matcher?.close();
      }
      ctx.note({ pane: pane.id, outcome });
      const deadline = Math.max(started + timeoutMs + SNAPSHOT_GRACE_MS, Date.now() + SNAPSHOT_LATE_MS);
      const { text, truncated } = paneAgentText(pane, await screenTextBy(pane, deadline));
      return {
        pane: pane.id,
        matched: outcome === "matched" || (outcome === "exited" && args.exit === true),
        reason: outcome,
        elapsedMs: Date.now() - started,
        alive: pane.alive,
        exitCode: pane.exit?.exitCode ?? null,
        text,
        truncated,
      };
    },
  });
}

/**
 * The pane's screen text, or, when the screen thread has not answered by `deadline` (epoch ms; busy with other
 * panes' output), the text of the last snapshot taken.
 */
async function screenTextBy(pane: Pane, deadline: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  const fresh = pane.snapshot().then(
    (snapshot) => snapshot.text,
    () => undefined,
  );
  try {
    return (await Promise.race([fresh, late])) ?? pane.lastScreenText;
  } finally {
    clearTimeout(timer);
  }
}
