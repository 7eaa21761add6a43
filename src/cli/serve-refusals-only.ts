import { randomBytes } from "node:crypto";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { Protocol } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { AuditBudget, connectionBytesPerMinute } from "../audit/audit-budget.js";
import { AuditLog, type AuditRecord, DEFAULT_AUDIT_OPTIONS } from "../audit/audit-log.js";
import { CcmuxError, type CcmuxErrorCode } from "../errors.js";
import { oneSendAtATime } from "../shared/one-send-at-a-time.js";
import { sanitizeLine } from "../tools/agent-text.js";
import { argsShapeOverBound } from "../tools/args-bound.js";
import { SERVER_NAME } from "../tools/create-server.js";
import { errorResult } from "../tools/tool-result.js";
import { auditRedactor } from "./audit-redactor.js";
import type { AuditTarget } from "./policy-file.js";
import { whenStdioClosed } from "./stdio-closed.js";
import { packageVersion } from "./version.js";

/** What keeps `serve` from serving: the code every call gets, why, the problems, and where to audit. */
export interface NotServing {
  /** POLICY_INVALID (no policy, or it does not validate), AUDIT_UNAVAILABLE, SANDBOX_UNAVAILABLE. */
  code: Extract<
    CcmuxErrorCode,
    "POLICY_INVALID" | "AUDIT_UNAVAILABLE" | "SANDBOX_UNAVAILABLE" | "DAEMON_UNAVAILABLE"
  >;
  /** Why, in a few words: "the policy does not validate". */
  what: string;
  /** The policy file, or undefined when none was found. */
  file: string | undefined;
  /** One human line per problem (`FILE:LINE:COLUMN: PATH: MESSAGE`). */
  problems: readonly string[];
  warnings: readonly string[];
  audit: AuditTarget | undefined;
}

/** The one tool listed: its name is the working server's `policy` tool, which describes the policy. */
const TOOL = {
  name: "policy",
  title: "Why ccmux is not serving",
  description:
    "ccmux cannot serve (its policy file is missing or does not validate, or its audit log or sandbox cannot be set up), so no pane can be started. Call this to see every problem and tell the person: they must fix them and restart the server. Until then every ccmux tool returns the same error and list.",
  inputSchema: { type: "object" as const, properties: {} },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
};

/** Refusals printed one by one on stderr when there is no audit log; the rest are counted. */
const MAX_STDERR_REFUSALS = 20;

/** tools/call with any params: every call, even a malformed one, is refused the same way and audited. */
const AnyCallToolRequest = z.object({ method: z.literal("tools/call"), params: z.unknown().optional() });

/**
 * `serve` that cannot serve (a policy missing or invalid, an audit log or sandbox that cannot be set up): an
 * MCP server that answers `initialize` (the problems in its instructions), lists one tool, and refuses every
 * tool call with `code` listing every problem — so the person sees them in the client instead of "connection
 * closed". It never starts a process. Refusals go to the audit log `audit` names (for a broken policy: when its
 * `audit` section is valid), otherwise only to stderr: no path is guessed. Returns exit code 2 once the client
 * goes away.
 */
export async function serveRefusalsOnly(broken: NotServing): Promise<number> {
  const { code, what } = broken;
  console.error(`ccmux: ${what}; every tool call is refused with ${code} until it is fixed:`);
  for (const line of broken.problems) console.error(`  ${line}`);
  for (const warning of broken.warnings) console.error(`ccmux: warning: ${warning}`);
  const audit = openAudit(broken.audit, `s-${randomBytes(6).toString("hex")}`);
  const connection = `c-${randomBytes(6).toString("hex")}`;
  // Security: refusals cost nothing to make; a flood of them folds into summaries instead of rotating the log.
  const options = broken.audit?.options ?? DEFAULT_AUDIT_OPTIONS;
  const budget = new AuditBudget(
    broken.audit?.options.connectionBytesPerMinute ?? connectionBytesPerMinute(options),
  );
  let unaudited = 0;
  const log = (record: AuditRecord, stderrLine?: string): void => {
    if (audit === undefined) {
      // A client that calls in a loop must not flood the person's terminal: the rest are counted at stop.
      if (stderrLine !== undefined && ++unaudited <= MAX_STDERR_REFUSALS)
        console.error(`ccmux: ${stderrLine}`);
      return;
    }
    try {
      const verdict = budget.verdict(record);
      if (verdict.write) budget.charge(audit.log.write(record, verdict.maxBytes));
      else if (budget.fold(record)) writeSummary();
    } catch (error) {
      console.error(`ccmux: ${(error as Error).message}${stderrLine ? ` (${stderrLine})` : ""}`);
    }
  };
  const writeSummary = (): void => {
    const summary = budget.takeSummary(connection);
    if (summary && audit) budget.charge(audit.log.write(summary));
  };
  log({
    event: "start",
    decision: "error",
    code,
    ...(broken.file === undefined ? {} : { policy: broken.file }),
    version: packageVersion(),
    pid: process.pid,
    reason: `${what}: serving refusals only`,
    detail: { problems: broken.problems },
  });

  const refusal = new CcmuxError(
    code,
    `ccmux is not serving: ${what} (${broken.problems.length} problem${broken.problems.length === 1 ? "" : "s"}). Fix ${broken.problems.length === 1 ? "it" : "them"} and restart the server; nothing was run.`,
    { data: { ...(broken.file === undefined ? {} : { file: broken.file }), problems: broken.problems } },
  );
  const server = new Server(
    { name: SERVER_NAME, version: packageVersion() },
    {
      capabilities: { tools: {} },
      // Security: the problems quote the person's file; one sanitized line each, like every tool result.
      instructions: [
        `ccmux is not serving: ${what}. Every ccmux tool returns ${code} until the person fixes this and restarts the server. Tell them:`,
        ...broken.problems.map((line) => `- ${sanitizeLine(line)}`),
      ].join("\n"),
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [TOOL] }));
  Protocol.prototype.setRequestHandler.call(server, AnyCallToolRequest, (request) => {
    const params = request.params !== null && typeof request.params === "object" ? request.params : {};
    const { name, arguments: args } = params as { name?: unknown; arguments?: unknown };
    const tool = typeof name === "string" ? name : String(name ?? "");
    log(
      {
        event: "call",
        decision: "deny",
        origin: "agent",
        connection,
        tool,
        // Security: arguments nested thousands deep overflow the stack in redaction; past the bound only
        // their shape is logged (as the working server does).
        args: argsShapeOverBound(args) ?? args,
        code,
        reason: refusal.message,
      },
      `refused ${sanitizeLine(tool.slice(0, 64))}: ${code}`,
    );
    return errorResult(refusal);
  });

  // One answer at a time: a burst of refusals must not queue a drain listener per answer on a slow client.
  const transport = oneSendAtATime(new StdioServerTransport());
  const closed = whenStdioClosed(transport);
  await server.connect(transport);
  console.error(
    audit === undefined
      ? `ccmux: serving ${code} refusals on stdio; they are not audited to a file (${broken.audit === undefined ? "no audit log can be told from the policy" : "the audit log cannot be opened"}), only printed here.`
      : `ccmux: serving ${code} refusals on stdio (audit ${audit.path}).`,
  );
  const why = await closed;
  if (unaudited > MAX_STDERR_REFUSALS) console.error(`ccmux: ${unaudited} calls refused in all.`);
  writeSummary();
  log({ event: "stop", decision: "info", reason: why });
  audit?.log.close();
  await server.close().catch(() => {});
  return 2;
}

/** The broken policy's audit log, or undefined (said on stderr) when there is none to be had. */
function openAudit(
  target: AuditTarget | undefined,
  session: string,
): { log: AuditLog; path: string } | undefined {
  if (target === undefined) return undefined;
  const { connectionBytesPerMinute: _budget, ...options } = target.options;
  const redactor = auditRedactor(process.env);
  try {
    return { log: AuditLog.open(target.path, session, redactor, options), path: target.path };
  } catch (error) {
    console.error(`ccmux: ${(error as Error).message} Refusals are only printed here.`);
    return undefined;
  }
}
