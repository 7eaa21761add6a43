import { z } from "zod";
import { CcmuxError } from "../errors.js";
import type { ShellRunAnswer } from "../panes/pane-host.js";
import { MAX_RESULT_CHARS, sanitizeText } from "../panes/sanitize.js";
import { checkShellLine } from "../validation/shell-line.js";
import { spawnAgentPane, spawnFields } from "./agent-spawn.js";
import { paneToDrive } from "./pane-access.js";
import { paneIdField } from "./pane-fields.js";
import { DEFAULT_TIMEOUT_MS, type PaneWaits } from "./pane-wait.js";
import { DEFAULT_READ_CHARS } from "./read-pane-tool.js";
import { outputTail } from "./run-output.js";
import type { CallContext, ToolRegistry } from "./tool-registry.js";

/**
 * The output lines `run` returns when the agent names no `lines`: the tail that holds a verdict (a test runner's
 * summary, a compiler's errors, a command's answer) at about 1 000 tokens for lines of 80 columns, a quarter of
 * read_pane's 200-line default: run is called far more often, and whatever it cut stays readable with read_pane.
 * Capped at 16 000 characters (DEFAULT_READ_CHARS) like read_pane without `lines`.
 */
export const DEFAULT_RUN_LINES = 50;

const input = z.strictObject({
  ...spawnFields,
  command: spawnFields.command
    .optional()
    .describe(
      "One command line, checked exactly as spawn checks it (words split like a shell would; operators, substitutions, $VARIABLES and unquoted globs are refused). Required, except with `pane` to wait for the command still running there.",
    ),
  pane: paneIdField
    .optional()
    .describe(
      'A validated shell (spawned from a rule with input "validated"): run the command in it, against its current directory. It keeps its directory and variables between commands. Besides allowed programs it knows `cd DIR`, `pwd`, `export NAME=value` and `unset NAME`. Without command: wait for the command still running there.',
    ),
  timeout_ms: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      `How long to wait for the program to exit (default ${DEFAULT_TIMEOUT_MS}; capped by the policy's maxWaitMs). A program still running then goes on in its pane.`,
    ),
  lines: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe(
      `Return the last N lines of the output (default ${DEFAULT_RUN_LINES}, at most ${DEFAULT_READ_CHARS} characters; with lines, at most ${MAX_RESULT_CHARS}).`,
    ),
});

const output = z.object({
  pane: z
    .string()
    .describe("The pane the command ran in: read_pane, wait_for, send_keys and kill_pane work on it."),
  name: z.string(),
  exitCode: z
    .number()
    .int()
    .nullable()
    .describe("The exit status; null while running or when a signal ended it."),
  signal: z.number().int().nullable().describe("The signal that ended the program, if one did."),
  alive: z.boolean().describe("True when the program is still running (the timeout passed first)."),
  reason: z
    .enum(["exited", "timeout", "aborted", "stopped"])
    .describe(
      "Why the call returned: the program exited, timeout_ms passed, the client cancelled the call, or (validated shell) the command was stopped with C-z: it stays stopped, there is no fg or bg, kill_pane ends it.",
    ),
  elapsedMs: z.number().int(),
  output: z
    .string()
    .describe(
      "What the program printed, as read_pane renders it (sanitized), cut from the top: its last lines, led by `[… N earlier lines truncated …]` when lines were cut.",
    ),
  truncated: z.number().int().describe("How many earlier lines were cut from `output` (0: it is whole)."),
  cwd: z.string().optional().describe("A validated shell's directory after the command."),
  uncertain: z
    .boolean()
    .optional()
    .describe(
      "A validated shell reported the command's end while another process group held the terminal: the answer may be wrong.",
    ),
  warnings: z
    .array(z.string())
    .optional()
    .describe("What the sandbox could not protect for this pane, as spawn reports it."),
});

/** run: spawn, wait for exit and read the output's tail, in one call; `waits` is the connection's (maxWaiters). */
export function registerRunTool(registry: ToolRegistry, waits: PaneWaits): void {
  registry.add({
    name: "run",
    title: "Run a command and wait for its exit",
    description: `Runs one allowed command line in a new pane, exactly as spawn would check and start it, waits until it exits (or timeout_ms passes) and returns its exit code and the last lines of its output in one call. A program still running at the timeout goes on in its pane (alive: true): wait_for {exit: true}, read_pane, send_keys and kill_pane work on it. Output: the last ${DEFAULT_RUN_LINES} lines unless you give lines.`,
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async handler(args, ctx) {
      if (args.pane !== undefined) return runInShell(args, ctx, waits);
      const { timeout_ms, lines, pane: _pane, command, ...fields } = args;
      if (command === undefined) {
        throw new CcmuxError("INVALID_ARGUMENT", "Give command (and pane to run it in a validated shell).");
      }
      const spawnArgs = { ...fields, command };
      // The wait is taken first, so a connection at its maxWaiters is refused before anything starts.
      const wait = await waits.prepare({ exit: true, timeout_ms }, ctx);
      let spawned: Awaited<ReturnType<typeof spawnAgentPane>>;
      try {
        spawned = await spawnAgentPane(spawnArgs, ctx);
      } catch (error) {
        waits.discard(wait);
        throw error;
      }
      const { outcome, pane } = await waits.outcome(wait, spawned.pane, ctx);
      const read = await ctx.deps.host.read(pane.id, "scrollback", ctx.deps.session);
      const maxChars = lines === undefined ? DEFAULT_READ_CHARS : MAX_RESULT_CHARS;
      const tail = outputTail(
        read.text,
        lines ?? DEFAULT_RUN_LINES,
        maxChars - (pane.screenLost?.length ?? 0) - 1,
      );
      return {
        pane: pane.id,
        name: spawned.name,
        exitCode: read.pane.exit?.exitCode ?? null,
        signal: read.pane.exit?.signal ?? null,
        alive: read.pane.alive,
        reason: outcome === "matched" ? "exited" : outcome,
        elapsedMs: Date.now() - wait.started,
        output: pane.screenLost === undefined ? tail.text : `${pane.screenLost}\n${tail.text}`,
        truncated: tail.cut,
        ...(spawned.warnings ? { warnings: spawned.warnings } : {}),
      };
    },
  });
}

type RunArgs = z.output<typeof input>;

/**
 * run in a validated shell (issue 14): the line is checked as spawn checks it, against the shell's directory
 * (validation/shell-line.ts), and typed by ccmux, quoted, with the program's absolute path; or, without a command,
 * the wait for the command still running. The wait counts toward maxWaiters like any other.
 */
async function runInShell(
  args: RunArgs,
  ctx: CallContext,
  waits: PaneWaits,
): Promise<z.output<typeof output>> {
  const spawnOnly = (["cwd", "env", "name", "cols", "rows"] as const).filter(
    (field) => args[field] !== undefined,
  );
  if (spawnOnly.length > 0) {
    throw new CcmuxError(
      "INVALID_ARGUMENT",
      `${spawnOnly.join(", ")}: for a new pane only; a validated shell runs the command in its own directory (use cd and export there).`,
    );
  }
  const { host, policy, serverEnv } = ctx.deps;
  const pane = await paneToDrive(ctx.deps, args.pane as string, "run");
  if (pane.input !== "validated" || pane.shell === undefined) {
    throw new CcmuxError(
      "INVALID_ARGUMENT",
      'This pane is not a validated shell (a rule with input "validated"): run {pane} works only there; use send_keys.',
    );
  }
  const wait = await waits.prepare({ exit: true, timeout_ms: args.timeout_ms }, ctx);
  try {
    let answer: ShellRunAnswer;
    if (args.command === undefined) {
      ctx.allow({ pane: pane.id });
      answer = await host.shellWait(pane.id, { timeoutMs: wait.timeoutMs, signal: ctx.signal });
    } else {
      const step = checkShellLine(policy, pane.shell, args.command, serverEnv);
      ctx.allow({
        pane: pane.id,
        step: step.kind,
        ...(step.kind === "exec" ? { argv: step.argv, rule: step.rule } : {}),
        ...(step.kind === "cd" ? { cwd: step.dir } : {}),
        ...(step.kind === "export" || step.kind === "unset" ? { name: step.name } : {}),
        shellCwd: pane.shell.cwd,
      });
      answer = await host.shellRun(pane.id, step, args.command, {
        timeoutMs: wait.timeoutMs,
        signal: ctx.signal,
      });
    }
    ctx.note({
      pane: pane.id,
      outcome: answer.outcome,
      ...(answer.typed !== undefined ? { typed: answer.typed } : {}),
      ...(answer.result ? { status: answer.result.status } : {}),
    });
    const { result } = answer;
    const maxChars = args.lines === undefined ? DEFAULT_READ_CHARS : MAX_RESULT_CHARS;
    const tail = outputTail(
      result?.output ?? answer.partialOutput ?? "",
      args.lines ?? DEFAULT_RUN_LINES,
      maxChars,
    );
    return {
      pane: pane.id,
      name: pane.name,
      exitCode: result?.status ?? null,
      signal: null,
      alive: result === undefined || result.stopped,
      reason: result?.stopped
        ? "stopped"
        : result
          ? "exited"
          : answer.outcome === "aborted"
            ? "aborted"
            : "timeout",
      elapsedMs: Date.now() - wait.started,
      output: tail.text,
      truncated: tail.cut,
      cwd: sanitizeText(result?.cwd ?? answer.pane.shell?.cwd ?? pane.shell.cwd),
      ...(result?.uncertain ? { uncertain: true } : {}),
    };
  } finally {
    waits.discard(wait);
  }
}
