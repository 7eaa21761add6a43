import { z } from "zod";

import { INPUT_MODES, PANE_ACCESS } from "../shared/pane-words.js";

export { INPUT_MODES, type InputMode, PANE_ACCESS, type PaneAccess } from "../shared/pane-words.js";

/** How panes are confined: see the `sandbox.mode` description. */
export const SANDBOX_MODES = ["required", "auto", "off"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** A pane name, for person panes here and for spawn's `name`. */
export const PANE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const envName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    "an environment variable name: letters, digits and _, not starting with a digit",
  );

const commandRule = z
  .strictObject({
    command: z
      .string()
      .min(1)
      .describe("A bare program name, looked up on the server's PATH, or an absolute path to an executable."),
    args: z
      .array(z.string())
      .optional()
      .describe(
        'Allowed argument shapes, each a string of space-separated tokens: a literal matches itself; `*` one argument; `**` any remaining arguments; `{path}` one argument that must be a path inside the workspace; `""` no arguments. Omitted: no arguments.',
      ),
    input: z
      .enum(INPUT_MODES)
      .optional()
      .describe(
        "What send_keys may deliver: `none` (default), `keys` (named keys only), `raw` (text and keys), or `validated` (bash and zsh: commands come through run {pane, command}, each checked like spawn).",
      ),
    description: z.string().optional().describe("A note for the agent, shown in the policy description."),
    sessionDir: z
      .strictObject({
        env: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name")
          .describe("The variable that receives the directory's path, e.g. CLAUDE_CONFIG_DIR."),
        keep: z
          .boolean()
          .optional()
          .describe("Keep the directory after the pane is killed (default: remove it)."),
      })
      .optional()
      .describe(
        "Give each pane of this program its own new private directory (0700), named in an env variable.",
      ),
  })
  .describe("One allowed program with the argument shapes it may be given.");

const personPane = z
  .strictObject({
    name: z
      .string()
      .regex(PANE_NAME, "a pane name: letters, digits, '.', '_' or '-', at most 64")
      .describe("The pane's name, unique among person panes."),
    command: z
      .string()
      .min(1)
      .describe("The command line, parsed like a shell splits words, never run by a shell."),
    cwd: z
      .string()
      .optional()
      .describe("Working directory, relative to the policy file; default the first workspace root."),
    access: z
      .enum(PANE_ACCESS)
      .describe("What the agent may do: `read`, `write` (also send_keys and kill) or `none`."),
    input: z
      .enum(INPUT_MODES)
      .optional()
      .describe("What send_keys may deliver when access is `write`: default `raw`."),
    cols: z.number().int().min(10).max(500).optional(),
    rows: z.number().int().min(2).max(200).optional(),
  })
  .describe("A pane the person starts together with the server.");

const limits = z
  .strictObject({
    maxPanes: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(16)
      .describe("Live panes at once, person panes included."),
    maxExitedPanes: z
      .number()
      .int()
      .min(0)
      .max(1024)
      .default(32)
      .describe("Exited panes kept readable; the oldest is evicted beyond this."),
    callsPerMinute: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(120)
      .describe("Token-bucket refill per connection."),
    burst: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe("Token-bucket size; default callsPerMinute."),
    scrollbackLines: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(10_000)
      .describe("History lines kept per pane."),
    maxInputBytes: z
      .number()
      .int()
      .min(16)
      .max(1_048_576)
      .default(4096)
      .describe("Largest command line or send_keys text, in UTF-8 bytes."),
    maxWaitMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(300_000)
      .describe("Cap on wait_for timeout_ms."),
    maxWaiters: z.number().int().min(1).max(1024).default(32).describe("wait_for calls pending at once."),
    maxProcesses: z
      .number()
      .int()
      .min(4)
      .max(100_000)
      .default(512)
      .describe("Processes one pane may hold at once; a pane past it (a fork bomb) is killed."),
  })
  .describe("Bounds on what one server holds.");

const ms = (fallback: number, what: string) =>
  z.number().int().min(0).max(86_400_000).default(fallback).describe(what);

const anomalies = z
  .strictObject({
    lateral: z
      .strictObject({
        panes: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .default(8)
          .describe(
            "Distinct panes not its own (person panes, unknown ids) one connection may touch within windowMs.",
          ),
        windowMs: ms(60_000, "The window, in milliseconds."),
        cooldownMs: ms(120_000, "How long calls on further panes are then blocked."),
      })
      .default({ panes: 8, windowMs: 60_000, cooldownMs: 120_000 })
      .describe(
        "Lateral movement: many panes that are not the connection's own (person panes, unknown ids) touched in a short time.",
      ),
    probing: z
      .strictObject({
        slowAfter: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(10)
          .describe(
            "Refusals within windowMs after which each further refused call is answered slowMs later (one at a time). Allowed calls are never held back.",
          ),
        windowMs: ms(60_000, "The window for slowAfter, in milliseconds."),
        slowMs: ms(1_000, "How long each refused call is held back once the brake is on."),
        blockAfter: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(12)
          .describe(
            "Probe points within probeWindowMs after which the connection may not spawn, type or reach panes not its own: refusals that reach for credentials, /proc, /sys or /root (3), encoded or NUL path tricks (4), invisible characters (4), loader variables such as LD_PRELOAD (4), secret-looking variable names (2), a person's pane it may not use (2), other paths outside the workspace (1), pane ids it was never given (1), options that run or write (1), each distinct program refused past the tenth (1); the same target counts once. Shell habits (pipes, &&, $VAR, NAME=value, globs, a program or option not allowed) count nothing.",
          ),
        probeWindowMs: ms(600_000, "The window for blockAfter, in milliseconds."),
        cooldownMs: ms(300_000, "How long the connection is then blocked."),
      })
      .default({
        slowAfter: 10,
        windowMs: 60_000,
        slowMs: 1_000,
        blockAfter: 12,
        probeWindowMs: 600_000,
        cooldownMs: 300_000,
      })
      .describe("The probing brake: repeated refusals slow refused calls; probing beyond the policy blocks."),
    sensitivePaths: z
      .array(z.string().min(2))
      .default([])
      .describe(
        "Text marking a sensitive path in a call's arguments, in addition to the defaults (~/.ssh, /etc/shadow, credential files); `*.ext` marks a file suffix.",
      ),
    exfiltration: z
      .strictObject({
        windowMs: ms(120_000, "How long after a file read a network-capable command raises an alert."),
        networkPrograms: z
          .array(z.string().min(1))
          .default([])
          .describe("Network-capable programs in addition to the defaults (curl, wget, nc, ssh, scp, …)."),
      })
      .default({ windowMs: 120_000, networkPrograms: [] })
      .describe("A file read followed by a network-capable command."),
  })
  .describe("Anomaly rules (seed §6.2): each writes a `security` audit record and notifies the client.");

export const policySchema = z
  .strictObject({
    $schema: z.string().optional().describe("Path or URL of this file's JSON Schema, for editors."),
    workspace: z
      .array(z.string().min(1))
      .min(1)
      .describe("Workspace roots (relative to this file). cwd and every path argument must lie inside one."),
    commands: z.array(commandRule).default([]).describe("The programs the agent may spawn."),
    env: z
      .strictObject({
        pass: z
          .array(envName)
          .default([])
          .describe("Server variables handed to children; secret-looking names excluded."),
        passSecrets: z
          .array(envName)
          .default([])
          .describe("Secret-looking variables the person explicitly passes."),
        fromAgent: z.array(envName).default([]).describe("The only variables an agent may set in spawn."),
        set: z
          .record(envName, z.string(), {
            error: (issue) =>
              issue.code === "invalid_key"
                ? "not a variable name: letters, digits and _, not starting with a digit"
                : undefined,
          })
          .default({})
          .describe(
            "Variables every pane gets with these exact values, chosen by the person: the agent can never change them, and sees their names only. Overrides the defaults PAGER=cat and GIT_PAGER=cat. Not TERM or LESSSECURE, nor a name in fromAgent.",
          ),
      })
      .default({
        pass: ["PATH", "HOME", "LANG", "LC_ALL", "USER", "LOGNAME", "SHELL", "TZ"],
        passSecrets: [],
        fromAgent: [],
        set: {},
      })
      .describe("Which environment children get."),
    panes: z.array(personPane).default([]).describe("Panes started with the server."),
    limits: limits.default(limits.parse({})),
    audit: z
      .strictObject({
        path: z
          .string()
          .optional()
          .describe("Audit log file (relative to this file); default in the XDG state dir."),
        maxBytes: z
          .number()
          .int()
          .min(65_536)
          .max(1_073_741_824)
          .default(16_777_216)
          .describe("Rotate the log when it would grow past this size; the chain continues in the new file."),
        keep: z.number().int().min(1).max(1000).default(10).describe("Rotated files kept (path.1 … path.N)."),
        sync: z
          .enum(["batched", "each"])
          .default("batched")
          .describe(
            "`batched` (default): each record reaches the kernel before the call it allows goes on (a crash or kill of ccmux loses nothing) and the disk within 100 ms. `each`: flushed to disk before the call goes on (survives power loss; about 0.15 ms per call on an SSD).",
          ),
        redactInput: z
          .boolean()
          .default(false)
          .describe("Log only the length and SHA-256 of text typed with send_keys, not the text."),
        connectionBytesPerMinute: z
          .number()
          .int()
          .min(1024)
          .max(1_073_741_824)
          .optional()
          .describe(
            "Log bytes one connection's records may take a minute (one minute's worth can be saved up). Default: the kept history (maxBytes × (keep + 1)) spread over 24 hours, at least 64 KiB. Past it, refusals are counted in `summary` records and further calls are refused with RATE_LIMITED until it refills.",
          ),
      })
      .default({ maxBytes: 16_777_216, keep: 10, sync: "batched", redactInput: false }),
    anomalies: anomalies.default(anomalies.parse({})),
    persist: z
      .strictObject({
        scrollback: z
          .boolean()
          .optional()
          .describe(
            "Keep each agent pane's history, encrypted, in $XDG_STATE_HOME/ccmux/panes so that it can be read after the daemon restarts (it lists as exited, reason `daemon restarted`). Default: on for `serve --daemon`, off for `serve`.",
          ),
        masterKey: z
          .enum(["auto", "keyring", "file"])
          .default("auto")
          .describe(
            "Where the key that wraps every pane's key lives: `keyring` (the kernel's user keyring: never on disk, gone at reboot), `file` (0600 in a 0700 directory), `auto` (default: the keyring where it works, else the file).",
          ),
      })
      .default({ masterKey: "auto" })
      .describe("Pane history kept across daemon restarts (seed §7.1)."),
    sandbox: z
      .strictObject({
        mode: z
          .enum(SANDBOX_MODES)
          .default("required")
          .describe(
            "Pane confinement with bubblewrap: `required` (default; spawn is refused with SANDBOX_UNAVAILABLE when the sandbox cannot be built), `auto` (unsandboxed with a warning when it cannot), `off`.",
          ),
        network: z
          .boolean()
          .default(false)
          .describe("Give sandboxed panes the network (default: none, not even the host's 127.0.0.1)."),
        hide: z
          .array(z.string().min(1))
          .default([])
          .describe(
            "Paths hidden from panes in addition to the defaults: absolute or `~/…`; `*` allowed in the last segment.",
          ),
        expose: z
          .array(z.string().min(1))
          .default([])
          .describe("Default hidden paths to leave visible, written exactly as in the defaults."),
        gitWrites: z
          .boolean()
          .default(false)
          .describe(
            "Let panes change .git (commit, fetch); only hooks and config stay read-only. Default: all of .git is read-only.",
          ),
        readOnly: z
          .array(z.string().min(1))
          .default([])
          .describe(
            "Paths inside each workspace root that panes may read but not change, in addition to the defaults; `*` matches one name.",
          ),
        user: z
          .union([
            z
              .string()
              .regex(/^[a-z_][a-z0-9_.-]*\$?$/i)
              .max(64),
            z.number().int().min(1).max(4_294_967_294),
          ])
          .optional()
          .describe(
            "The host user panes run as when the server runs as root (a name or a uid; never root). Default: the owner of the first workspace root, or `nobody` when root owns it. Ignored when the server is not root: panes then run as the server's user.",
          ),
        agentConfigWritable: z
          .array(z.string().min(1))
          .default([])
          .describe(
            "Default read-only agent and editor configuration (.claude/, CLAUDE.md, .mcp.json, .vscode/, …) that panes may change, written exactly as in the defaults; `*` for all.",
          ),
      })
      .default({
        mode: "required",
        network: false,
        hide: [],
        expose: [],
        gitWrites: false,
        readOnly: [],
        agentConfigWritable: [],
      })
      .describe("How panes are confined."),
  })
  .describe("ccmux policy (v1)");

export type PolicyFile = z.infer<typeof policySchema>;
export type PolicyLimits = PolicyFile["limits"];
export type CommandRuleFile = z.infer<typeof commandRule>;
export type PersonPaneFile = z.infer<typeof personPane>;
