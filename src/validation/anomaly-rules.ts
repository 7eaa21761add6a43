import { CcmuxError } from "../errors.js";

/** The anomaly rules' settings (policy `anomalies`, seed §6.2). */
export interface AnomalyPolicy {
  /** Lateral movement: more than `panes` distinct panes not its own touched within `windowMs`. */
  lateral: { panes: number; windowMs: number; cooldownMs: number };
  /** Text that marks a sensitive path when it appears in a call's arguments. */
  sensitivePaths: readonly string[];
  /** A file read and then a network-capable program within `windowMs`. */
  exfiltration: {
    /** Off when panes have no network to send anything through (sandbox required, network off). */
    enabled: boolean;
    windowMs: number;
    readPrograms: readonly string[];
    networkPrograms: readonly string[];
  };
}

export type Severity = "low" | "medium" | "high";

/** One `security` audit record (and MCP logging notification) a rule produced. */
export interface SecurityEvent {
  rule: "lateral-movement" | "sensitive-path" | "read-then-network";
  severity: Severity;
  message: string;
  detail: Record<string, unknown>;
}

/** What a call did, as the rules need it. */
export interface ObservedCall {
  tool: string;
  /**
   * The pane the call targeted when it is not one this connection spawned: a person's pane, another
   * connection's, or an id it was never given. Its own panes are its business, however many.
   */
  pane?: string;
  decision: "allow" | "deny" | "error";
  /** The refusal's code, for a denied call. */
  code?: string;
  /** The call's arguments as the agent sent them. */
  args: unknown;
}

export const DEFAULT_SENSITIVE_PATHS: readonly string[] = [
  ".ssh/",
  "/.ssh",
  "id_rsa",
  "id_ed25519",
  "id_ecdsa",
  "/etc/shadow",
  "/etc/gshadow",
  "/etc/sudoers",
  ".aws/credentials",
  ".aws/config",
  ".netrc",
  ".git-credentials",
  ".docker/config.json",
  ".kube/config",
  ".npmrc",
  ".pypirc",
  ".gnupg",
  ".config/gh/hosts.yml",
  "*.pem",
  ".env",
];

export const DEFAULT_READ_PROGRAMS: readonly string[] = [
  "cat",
  "less",
  "more",
  "head",
  "tail",
  "grep",
  "rg",
  "base64",
  "xxd",
  "od",
  "strings",
  "find",
  "tar",
  "zip",
];

export const DEFAULT_NETWORK_PROGRAMS: readonly string[] = [
  "curl",
  "wget",
  "nc",
  "ncat",
  "netcat",
  "socat",
  "ssh",
  "scp",
  "sftp",
  "rsync",
  "ftp",
  "telnet",
  "git push",
  "npm publish",
];

/**
 * The words a call would run: spawn's and run's command line, and each line or `;`/`&&`/`|` segment of typed
 * text. Security: run starts programs as spawn does; a rule watching spawn alone would not see them.
 */
function commandsIn(tool: string, args: unknown): string[] {
  const record = (args ?? {}) as { command?: unknown; text?: unknown };
  const texts = [
    ...((tool === "spawn" || tool === "run") && typeof record.command === "string" ? [record.command] : []),
    ...(tool === "send_keys" && typeof record.text === "string" ? [record.text] : []),
  ];
  return texts
    .flatMap((text) => text.split(/[\n;|&]+/))
    .map((segment) => segment.trim())
    .filter((segment) => segment.length > 0);
}

/** Prefixes that run the next word as the program: `sudo curl`, `env X=1 curl`, `nohup curl`, … */
const WRAPPERS = new Set([
  "sudo",
  "doas",
  "env",
  "nohup",
  "time",
  "exec",
  "command",
  "nice",
  "timeout",
  "xargs",
  "busybox",
  "stdbuf",
]);

/** The program a command segment runs (wrappers, assignments, options and brackets skipped) and what follows. */
function programOf(segment: string): { program: string; rest: string[] } {
  const words = segment.split(/\s+/).filter((word) => word.length > 0);
  for (let i = 0; i < words.length; i++) {
    const word = (words[i] as string).replace(/^[($`{]+/, "");
    const name = word.split("/").pop() ?? "";
    const skip = /^[A-Za-z_][A-Za-z0-9_]*=/.test(word) || word.startsWith("-") || /^\d+$/.test(word);
    if (word === "" || skip || WRAPPERS.has(name)) continue;
    return { program: name, rest: words.slice(i + 1) };
  }
  return { program: "", rest: [] };
}

/**
 * True when a command segment runs `program` (by its last path component: /usr/bin/curl is curl). A two-word
 * program (`git push`) matches when its second word is among the arguments (`git -C . push`).
 */
function runs(segment: string, program: string): boolean {
  const { program: first, rest } = programOf(segment);
  const wanted = program.split(/\s+/);
  return first === wanted[0] && wanted.slice(1).every((word) => rest.includes(word));
}

/**
 * Per-connection anomaly rules (seed §6.2), each configurable and each producing `security` events with a
 * severity. Lateral movement also acts: it blocks calls on further panes for a cool-down. (Repeated refusals
 * are the probing brake's, probing-brake.ts.) Pure apart from the clock.
 */
export class AnomalyDetector {
  private readonly touched = new Map<string, number>();
  private readonly reads: number[] = [];
  private lateralUntil = 0;

  constructor(
    private readonly policy: AnomalyPolicy,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Before a call is handled: throws ANOMALY_BLOCKED for a pane not already touched during a
   * lateral-movement cool-down.
   */
  gate(tool: string, pane: string | undefined): void {
    const now = this.now();
    if (pane !== undefined && now < this.lateralUntil && !this.touched.has(pane)) {
      throw blocked(
        "lateral-movement",
        this.lateralUntil - now,
        `calls on further panes are blocked after ${tool} reached too many panes in a short time`,
      );
    }
  }

  /** After a call was decided: the security events it raises (and the rules' state updated). */
  observe(call: ObservedCall): SecurityEvent[] {
    const now = this.now();
    this.prune(now);
    const events: SecurityEvent[] = [];
    const text = JSON.stringify(call.args ?? {});
    const sensitive = this.sensitiveIn(text);
    if (sensitive.length > 0) {
      events.push({
        rule: "sensitive-path",
        severity: "high",
        message: `${call.tool} named a sensitive path (${sensitive.join(", ")})`,
        detail: { tool: call.tool, markers: sensitive, decision: call.decision },
      });
    }
    const commands = commandsIn(call.tool, call.args);
    const { readPrograms, networkPrograms, windowMs } = this.policy.exfiltration;
    // This call's own reads count too: `cat secrets | curl -d @- …` is one call.
    if (
      sensitive.length > 0 ||
      commands.some((segment) => readPrograms.some((program) => runs(segment, program)))
    ) {
      this.reads.push(now);
    }
    const network = commands.filter((segment) => networkPrograms.some((program) => runs(segment, program)));
    if (
      this.policy.exfiltration.enabled &&
      network.length > 0 &&
      this.reads.some((at) => now - at <= windowMs)
    ) {
      events.push({
        rule: "read-then-network",
        severity: "high",
        message: `a network-capable command followed a file read within ${windowMs} ms`,
        detail: { tool: call.tool, commands: network, decision: call.decision },
      });
    }
    if (call.pane !== undefined) events.push(...this.observePane(call.pane, call.tool, now));
    return events;
  }

  /** The sensitive-path markers `text` names as paths (see `mentions`). */
  sensitiveIn(text: string): string[] {
    return this.policy.sensitivePaths.filter((marker) => mentions(text, marker));
  }

  private observePane(pane: string, tool: string, now: number): SecurityEvent[] {
    const fresh = !this.touched.has(pane);
    this.touched.set(pane, now);
    const { panes, windowMs, cooldownMs } = this.policy.lateral;
    const recent = [...this.touched.values()].filter((at) => now - at <= windowMs).length;
    if (!fresh || recent <= panes || now < this.lateralUntil) return [];
    this.lateralUntil = now + cooldownMs;
    return [
      {
        rule: "lateral-movement",
        severity: "medium",
        message: `${recent} distinct panes touched within ${windowMs} ms; calls on further panes blocked for ${cooldownMs} ms`,
        detail: { tool, panes: recent, windowMs, cooldownMs },
      },
    ];
  }

  private prune(now: number): void {
    const keepReads = this.policy.exfiltration.windowMs;
    while (this.reads.length > 0 && now - (this.reads[0] as number) > keepReads) this.reads.shift();
    for (const [pane, at] of this.touched) {
      if (now - at > this.policy.lateral.windowMs && now >= this.lateralUntil) this.touched.delete(pane);
    }
  }
}

/**
 * True when `text` names `marker` as a path, not as part of another word: `~/.ssh/id_rsa` and `key.pem` yes,
 * `process.env.NODE_ENV` and `certs.pem.md` no. After the marker comes the end, a separator or a quote; before
 * it the start, a separator or a quote — unless the marker starts with `/`, or is a suffix written `*.pem`.
 */
function mentions(text: string, marker: string): boolean {
  const isSuffix = marker.startsWith("*");
  const needle = isSuffix ? marker.slice(1) : marker;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const before = text[at - 1];
    const after = text[at + needle.length];
    const endOk = needle.endsWith("/") || after === undefined || /[\s/"'`;|&)=:,\]]/.test(after);
    const startOk =
      isSuffix || needle.startsWith("/") || before === undefined || /[\s/"'`~=:(,[]/.test(before);
    if (endOk && startOk) return true;
  }
  return false;
}

function blocked(rule: SecurityEvent["rule"], retryAfterMs: number, why: string): CcmuxError {
  return new CcmuxError("ANOMALY_BLOCKED", `Refused: ${why}; retry after ${Math.ceil(retryAfterMs)} ms.`, {
    data: { rule, retryAfterMs: Math.ceil(retryAfterMs) },
  });
}
