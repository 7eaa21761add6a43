import { PANE_ENV_DEFAULTS } from "./pane-env-defaults.js";
import type { CompiledPolicy } from "./policy-compile.js";

/** The policy as the agent may know it: what it can run, where, and how it can type. Nothing else. */
export interface PolicySummary {
  workspace: string[];
  commands: Array<{ command: string; args: string[]; input: string; description?: string }>;
  envFromAgent: string[];
  /** Names the person fixed in env.set. Security: names only: the person's values may be tokens. */
  envSet: string[];
  /** ccmux's own pager defaults still in effect (not renamed in env.set), with their values. */
  envDefaults: Record<string, string>;
  limits: { maxPanes: number; maxInputBytes: number; callsPerMinute: number; maxWaitMs: number };
  /** How panes are confined. Not the hidden-path list: where the person keeps secrets is not the agent's business. */
  sandbox: { mode: string; network: boolean; readOnly: string[] };
}

export function summarizePolicy(policy: CompiledPolicy): PolicySummary {
  return {
    workspace: [...policy.workspace],
    commands: policy.commands
      .filter((rule) => rule.executable !== null)
      .map((rule) => ({
        command: rule.command,
        args: [...rule.patternSources],
        input: rule.input,
        ...(rule.description === undefined ? {} : { description: rule.description }),
      })),
    envFromAgent: [...policy.env.fromAgent],
    envSet: Object.keys(policy.env.set).sort(),
    envDefaults: Object.fromEntries(
      Object.entries(PANE_ENV_DEFAULTS).filter(([name]) => !Object.hasOwn(policy.env.set, name)),
    ),
    limits: {
      maxPanes: policy.limits.maxPanes,
      maxInputBytes: policy.limits.maxInputBytes,
      callsPerMinute: policy.limits.callsPerMinute,
      maxWaitMs: policy.limits.maxWaitMs,
    },
    sandbox: {
      mode: policy.sandbox.mode,
      network: policy.sandbox.network,
      readOnly: [...policy.sandbox.readOnly],
    },
  };
}

/** The policy in a few lines of text, appended to spawn's description so the agent need not probe. */
export function describePolicy(policy: CompiledPolicy): string {
  const summary = summarizePolicy(policy);
  const lines = [
    `Workspace (cwd and every path argument must stay inside): ${summary.workspace.join(", ")}`,
    "Allowed commands (`*` one argument, `**` any remaining, `{path}` a workspace path; input = what send_keys may send):",
  ];
  if (summary.commands.length === 0) lines.push("  (none: this policy allows no spawns)");
  for (const command of summary.commands) {
    const shapes =
      command.args.length === 0 ? ["(no arguments)"] : command.args.map((a) => a || "(no arguments)");
    const note = command.description ? ` — ${command.description}` : "";
    lines.push(`  ${command.command}: ${shapes.join(" | ")}  [input: ${command.input}]${note}`);
  }
  if (summary.commands.some((command) => command.input === "validated")) {
    lines.push(
      "input validated: a shell whose commands go through run {pane, command}, one at a time, each checked like spawn against its directory (cd, pwd, export, unset are its own); send_keys reaches only the program it runs.",
    );
  }
  lines.push(
    "A `*` or `**` never admits an option or script command that runs a program, loads code or writes a file (git --output, --ext-diff; sed e/w; awk system(); find -exec; node -e/--import; python -c; env/xargs/timeout PROGRAM; …): only a shape that spells it out does.",
  );
  lines.push(
    summary.envFromAgent.length > 0
      ? `env may set: ${summary.envFromAgent.join(", ")}`
      : "env: the agent may set no variables",
  );
  const defaults = Object.entries(summary.envDefaults).map(([name, value]) => `${name}=${value}`);
  if (defaults.length > 0) {
    lines.push(
      `Panes get ${defaults.join(" and ")}: git log, man and other paging commands print all their output and exit.`,
    );
  }
  if (summary.envSet.length > 0) {
    lines.push(`Fixed by the person for every pane (values not shown): ${summary.envSet.join(", ")}`);
  }
  if (summary.sandbox.mode !== "off") {
    lines.push(
      `Panes run in a sandbox: the workspace is writable, the rest of the system read-only, /tmp private, some home files hidden, ${summary.sandbox.network ? "network available" : "no network (each pane has its own loopback: a server in one pane is not reachable from another; run client and server in one pane)"}; read-only in the workspace: ${summary.sandbox.readOnly.join(", ")}.`,
    );
  }
  return lines.join("\n");
}
