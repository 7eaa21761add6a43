/**
 * The one error type of ccmux. Every refusal and failure carries a stable `code`; the message is one short
 * sentence saying what was refused and why, and never echoes the whole allowlist or internal paths.
 */
export type CcmuxErrorCode =
  /** The tool input does not have the documented shape (wrong type, unknown field, out of range). */
  | "INVALID_ARGUMENT"
  /** The command line uses shell syntax ccmux never interprets: operators, substitution, expansion, globs. */
  | "COMMAND_SYNTAX_FORBIDDEN"
  /** The program is not in the policy, or is named by a relative path. */
  | "COMMAND_NOT_ALLOWED"
  /** The program is allowed, but these arguments match none of its argument shapes. */
  | "ARGS_NOT_ALLOWED"
  /** A path (cwd, `{path}` argument, path-like argument) canonicalizes outside every workspace root. */
  | "PATH_OUTSIDE_WORKSPACE"
  /** A path is malformed: NUL byte, encoded traversal, not a directory where one is needed, … */
  | "PATH_INVALID"
  /** An environment variable the agent may not set. */
  | "ENV_NOT_ALLOWED"
  /** send_keys input this pane's program does not accept (input mode `none` or `keys`). */
  | "INPUT_NOT_ALLOWED"
  /** A key name outside the fixed key table. */
  | "UNKNOWN_KEY"
  /** No pane with that id is visible to this connection. */
  | "PANE_NOT_FOUND"
  /** The pane exists and is visible, but its access does not allow this tool. */
  | "PANE_FORBIDDEN"
  /** The pane's process has exited; it can still be read, but not typed into or resized. */
  | "PANE_EXITED"
  /**
   * A person holds write on the pane (`ccmux attach --write`): the agent may not type into it or resize it until
   * they release it; reading stays allowed.
   */
  | "PANE_BUSY"
  /** Too many calls in too short a time for this connection. */
  | "RATE_LIMITED"
  /** An anomaly rule (repeated refusals, too many panes touched) holds this connection back for a while. */
  | "ANOMALY_BLOCKED"
  /** The client cancelled the call before it ran (e.g. while it was held back): nothing was done. */
  | "CANCELLED"
  /** A configured bound (panes, input bytes, waiters) would be exceeded. */
  | "LIMIT_EXCEEDED"
  /** The audit record could not be written, so the call was refused (fail closed). */
  | "AUDIT_UNAVAILABLE"
  /** The program was allowed but could not be started. */
  | "SPAWN_FAILED"
  /** The policy requires a pane sandbox and bubblewrap is missing or cannot build one: nothing was started. */
  | "SANDBOX_UNAVAILABLE"
  /**
   * The policy file is missing or does not validate: the CLI exits 2; a server started on it answers the client
   * and refuses every tool call with this code, listing every problem at file:line:column.
   */
  | "POLICY_INVALID"
  /**
   * `serve --daemon` cannot reach a daemon it may trust (the socket directory is not private, a socket or info
   * file is not ours, the daemon did not start, or it went away): nothing was run.
   */
  | "DAEMON_UNAVAILABLE"
  /** An unexpected server fault; nothing was acted on past the point of failure. */
  | "INTERNAL";

export const ERROR_CODES: readonly CcmuxErrorCode[] = [
  "INVALID_ARGUMENT",
  "COMMAND_SYNTAX_FORBIDDEN",
  "COMMAND_NOT_ALLOWED",
  "ARGS_NOT_ALLOWED",
  "PATH_OUTSIDE_WORKSPACE",
  "PATH_INVALID",
  "ENV_NOT_ALLOWED",
  "INPUT_NOT_ALLOWED",
  "UNKNOWN_KEY",
  "PANE_NOT_FOUND",
  "PANE_FORBIDDEN",
  "PANE_EXITED",
  "PANE_BUSY",
  "RATE_LIMITED",
  "ANOMALY_BLOCKED",
  "CANCELLED",
  "LIMIT_EXCEEDED",
  "AUDIT_UNAVAILABLE",
  "SPAWN_FAILED",
  "SANDBOX_UNAVAILABLE",
  "POLICY_INVALID",
  "DAEMON_UNAVAILABLE",
  "INTERNAL",
];

export interface CcmuxErrorOptions {
  /** Structured facts for the audit log and the caller (never secrets). */
  data?: Record<string, unknown>;
  cause?: unknown;
}

export class CcmuxError extends Error {
  readonly code: CcmuxErrorCode;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: CcmuxErrorCode, message: string, options: CcmuxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CcmuxError";
    this.code = code;
    this.data = Object.freeze({ ...(options.data ?? {}) });
  }
}

export function isCcmuxError(value: unknown): value is CcmuxError {
  return value instanceof CcmuxError;
}
