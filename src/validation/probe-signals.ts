import { isSecretName } from "./secret-names.js";

/**
 * One sign that a refused call is reconnaissance rather than a shell habit. Honest agents trained on shells
 * produce `| tail`, `&&`, `VAR=1 cmd`, `$PATH`, a program not in the list, a mistyped option: none of those
 * is a signal. What they do not produce is what an attacker mapping the machine does: reach for hidden files
 * and /proc, smuggle invisible characters, set loader variables, guess other panes' ids, enumerate programs.
 */
export interface ProbeSignal {
  kind:
    | "hidden-path"
    | "outside-workspace"
    | "path-trick"
    | "smuggling"
    | "hook-env"
    | "secret-env"
    | "unknown-pane"
    | "forbidden-pane"
    | "risky-option"
    | "many-programs";
  /** How much it counts towards a block (anomalies.probing.blockAfter). */
  weight: number;
  /** What it was about (a path, a variable name, a pane id): the same key counts once per window. */
  key: string;
}

/** A refused call as the signals need it. */
export interface RefusedCall {
  tool: string;
  code: string;
  /** The refusal's data (error.data). */
  data: Readonly<Record<string, unknown>>;
  /** The call's arguments as the agent sent them. */
  args: unknown;
  /** For PANE_NOT_FOUND: whether this connection was ever given that pane id. */
  paneKnown?: boolean;
}

/** Where secrets and other people's things live: reaching for these outside the workspace is reconnaissance. */
// Security: credential theft and host reconnaissance (seed §6.2 "sensitive path access"): /proc/<pid>/environ
// and cmdline leak other processes' secrets, /sys and /dev map the machine, /root and ~user hold other users'
// keys, /etc/shadow and friends the accounts.
const HIDDEN_PLACES =
  /^(\/proc(\/|$)|\/sys(\/|$)|\/dev\/(?!null$|stdout$|stderr$|tty$)|\/root(\/|$)|\/run\/|\/var\/run\/|\/etc\/(shadow|gshadow|sudoers|passwd|group|ssh\/)|~[^/])/;

/**
 * Variables that load code into a program or run commands, which no ordinary task needs to set (narrower than
 * env-filter's hook list, which also holds NODE_ENV, PYTHONPATH and RUST_LOG that honest agents do set).
 */
const LOADER_NAMES =
  /^(LD_PRELOAD|LD_AUDIT|DYLD_INSERT_LIBRARIES|NODE_OPTIONS|BASH_ENV|ENV|PROMPT_COMMAND|SHELLOPTS|PS4|PERL5OPT|PERL5DB|RUBYOPT|PYTHONSTARTUP|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|GIT_SSH_COMMAND|GIT_SSH|GIT_EXEC_PATH|GIT_CONFIG_PARAMETERS|GIT_CONFIG_COUNT|GIT_ASKPASS|SSH_ASKPASS|LESSOPEN|GCONV_PATH|GLIBC_TUNABLES|DOTNET_STARTUP_HOOKS|LUA_INIT|BASH_FUNC_.*)$/;

/** Words of a call's text that name a place outside the workspace: absolute, `~`, `$HOME`, or climbing `..`. */
function outsideWords(text: string): string[] {
  return text
    .split(/[\s'"`=:,;|&<>()]+/)
    .filter((word) => /^(\/|~|\$HOME|\$\{HOME\}|\.\.(\/|$))|\/\.\.(\/|$)/.test(word))
    .map((word) => word.replace(/^\$\{HOME\}/, "$HOME").slice(0, 128));
}

/** The text of a call that can name paths: spawn's command and cwd, send_keys' text. */
function callText(args: unknown): string {
  if (typeof args !== "object" || args === null) return "";
  const record = args as Record<string, unknown>;
  return ["command", "cwd", "text"]
    .map((field) => record[field])
    .filter((value): value is string => typeof value === "string")
    .join(" ");
}

/**
 * The probe signals of one refused call (none for the refusals honest agents meet). `sensitive(text)` names
 * the sensitive-path markers the text mentions (anomaly-rules.ts owns that list).
 */
export function probeSignals(call: RefusedCall, sensitive: (text: string) => string[]): ProbeSignal[] {
  const signals: ProbeSignal[] = [];
  const pathish = call.code.startsWith("PATH_") || call.code.startsWith("COMMAND_");
  if (pathish) {
    for (const word of outsideWords(callText(call.args))) {
      if (HIDDEN_PLACES.test(word) || sensitive(word).length > 0) {
        signals.push({ kind: "hidden-path", weight: 3, key: word });
      } else if (call.code === "PATH_OUTSIDE_WORKSPACE") {
        signals.push({ kind: "outside-workspace", weight: 1, key: word });
      }
    }
  }
  const reason = typeof call.data.reason === "string" ? call.data.reason : "";
  // Security: encoded traversal, NUL truncation and /proc-self tricks are written to get past a path check.
  if (call.code === "PATH_INVALID" && /percent|NUL|\/proc/.test(reason)) {
    signals.push({ kind: "path-trick", weight: 4, key: reason });
  }
  // Security: bidi overrides, zero-width characters and quoting two parsers read differently hide a second
  // command from the person reading the log; no shell habit produces them (newlines are a habit, not this).
  if (
    call.code === "COMMAND_SYNTAX_FORBIDDEN" &&
    ["invisible", "quoting"].includes(String(call.data.syntax))
  ) {
    signals.push({ kind: "smuggling", weight: 4, key: String(call.data.syntax) });
  }
  const name = typeof call.data.name === "string" ? call.data.name : "";
  // Security: LD_PRELOAD, NODE_OPTIONS, BASH_ENV, … load the attacker's code; *_TOKEN names fish for secrets.
  if (call.code === "ENV_NOT_ALLOWED" && LOADER_NAMES.test(name))
    signals.push({ kind: "hook-env", weight: 4, key: name });
  else if (call.code === "ENV_NOT_ALLOWED" && isSecretName(name))
    signals.push({ kind: "secret-env", weight: 2, key: name });
  const pane = paneOf(call.args);
  // Security: pane escape (seed §6.1): guessing ids it was never given, or reaching for a person's pane.
  if (call.code === "PANE_NOT_FOUND" && call.paneKnown === false && pane !== undefined) {
    signals.push({ kind: "unknown-pane", weight: 1, key: pane });
  }
  if (call.code === "PANE_FORBIDDEN" && pane !== undefined)
    signals.push({ kind: "forbidden-pane", weight: 2, key: pane });
  // Security: options that run a program or write a file through an allowed program (`git log --output=`).
  if (call.code === "ARGS_NOT_ALLOWED" && typeof call.data.option === "string") {
    signals.push({ kind: "risky-option", weight: 1, key: call.data.option.slice(0, 128) });
  }
  return signals;
}

function paneOf(args: unknown): string | undefined {
  const pane = typeof args === "object" && args !== null ? (args as { pane?: unknown }).pane : undefined;
  return typeof pane === "string" ? pane.slice(0, 64) : undefined;
}
