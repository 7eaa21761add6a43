import { z } from "zod";
import { MAX_RESULT_CHARS, truncateLines } from "../panes/sanitize.js";
import { paneAgentText, paneFor } from "./pane-access.js";
import { cursorShape, paneIdField, watchedBy, watchedFields } from "./pane-fields.js";
import type { ToolRegistry } from "./tool-registry.js";

/**
 * What a read returns when the agent names no `lines`: the last 200 lines, at most 16 000 characters. Text
 * an agent reads is billed as input tokens (about 4 characters a token), and stays in its context to be
 * billed again, cached, on every later turn: 16 000 characters are about 4 000 tokens, about $0.01 at $3 per
 * million input tokens and 2% of a 200 000-token context window; the hard cap of 90 000 characters
 * (MAX_RESULT_CHARS, ~22 000 tokens, ~$0.07) is for reads that ask for more with `lines`. A test run's
 * verdict, a server's last messages, a REPL's answer fit well within 200 lines.
 */
export const DEFAULT_READ_LINES = 200;
export const DEFAULT_READ_CHARS = 16_000;

const input = z.strictObject({
  pane: paneIdField,
  mode: z
    .enum(["screen", "scrollback", "new"])
    .optional()
    .describe(
      "`screen` (default): the visible screen. `scrollback`: history and screen. `new`: the lines printed since your last `new` read of this pane, each once, from the line the cursor was on then (that line, which may have changed, comes again); the first `new` read returns everything held. While a full-screen program shows its alternate screen, `new` returns that screen and keeps your place.",
    ),
  lines: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe(
      `Only the last N lines, in every mode (at most ${MAX_RESULT_CHARS} characters). Without it, \`scrollback\` and \`new\` return at most the last ${DEFAULT_READ_LINES} lines and ${DEFAULT_READ_CHARS} characters. A \`new\` read that is cut still moves your place past the cut lines: read them with \`scrollback\` and a larger \`lines\`.`,
    ),
});

const output = z.object({
  pane: z.string(),
  mode: z.enum(["screen", "scrollback", "new"]),
  text: z
    .string()
    .describe(
      "What a person would see, sanitized: no escape sequences, control or invisible characters. The cursor's line keeps its blanks up to the cursor (a prompt ends in its space).",
    ),
  truncated: z
    .boolean()
    .describe("True when older lines were cut to keep the result small (a first line says how many)."),
  lost: z
    .boolean()
    .describe(
      "`new` mode: true when lines you had not read yet were dropped from the scrollback before this read (more output than it holds arrived), on the first read too.",
    ),
  behindBytes: z
    .number()
    .int()
    .describe(
      "0 normally. Otherwise the pane prints faster than its screen can be drawn, and this read waited its limit (2 s): `text` shows the screen as it was before this many bytes of the pane's output (a line at its top says so too, but only this field cannot be printed by the pane).",
    ),
  cursor: cursorShape,
  alive: z.boolean(),
  exitCode: z
    .number()
    .int()
    .nullable()
    .describe("Exit status once the process has exited; null while running."),
  signal: z.number().int().nullable().describe("The signal that ended the process, if one did."),
  ...watchedFields,
});

export function registerReadPaneTool(registry: ToolRegistry): void {
  registry.add({
    name: "read_pane",
    title: "Read a pane's screen",
    description: `Returns a pane's rendered text (what a person would see), its cursor and whether its process is alive. Output stays readable after the process exits, until the pane is killed. Results are kept small unless you ask: the last ${DEFAULT_READ_LINES} lines and ${DEFAULT_READ_CHARS} characters without \`lines\`.`,
    input,
    output,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async handler(args, ctx) {
      const { id } = await paneFor(ctx.deps, args.pane, "read_pane");
      const mode = args.mode ?? "screen";
      const read = await ctx.deps.host.read(id, mode, ctx.deps.session);
      const { pane, cursor, lost } = read;
      ctx.note({ pane: pane.id });
      const cut = truncateLines(read.text, args.lines ?? DEFAULT_READ_LINES);
      const maxChars = args.lines === undefined ? DEFAULT_READ_CHARS : MAX_RESULT_CHARS;
      const { text, truncated } = paneAgentText(pane, cut.text, maxChars);
      return {
        pane: pane.id,
        mode,
        text,
        truncated: truncated || cut.truncated,
        lost,
        behindBytes: pane.screenBehindBytes ?? 0,
        cursor,
        alive: pane.alive,
        exitCode: pane.exit?.exitCode ?? null,
        signal: pane.exit?.signal ?? null,
        ...watchedBy(pane),
      };
    },
  });
}
