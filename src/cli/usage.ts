import { AUDIT_USAGE } from "./audit-help.js";

/** How serve, policy check and doctor find the policy (findPolicy), for every help text that names it. */
export const POLICY_LOOKUP =
  "--config FILE, else $XDG_CONFIG_HOME/ccmux/ccmux.json (~/.config/ccmux/ccmux.json); ./ccmux.json only when named with --config (a pane could have written it)";

const CONFIG_OPTION = `  --config FILE   the policy: ${POLICY_LOOKUP}`;
const HELP_OPTION = "  -h, --help      this help";

/** Each command's help, printed by `ccmux COMMAND --help` and `ccmux help COMMAND`. */
export const COMMAND_USAGE: Readonly<Record<string, string>> = {
  serve: `Usage: ccmux serve [--config FILE] [--daemon [--session NAME]]

The MCP server on stdio, for a client to start, e.g.:
  claude mcp add ccmux -- ccmux serve --config /abs/path/ccmux.json
stdout carries only JSON-RPC; stderr gets any warnings, then one line saying it serves (policy, audit log, sandbox).
A missing or invalid policy does not stop it: it answers the client and refuses every tool call with
POLICY_INVALID, listing every problem (also on stderr), and never runs anything.

With --daemon, panes outlive the client: serve bridges stdio to the policy's daemon (\`ccmux daemon\`), starting
it when none runs; the daemon enforces the policy as it was when it started. Panes belong to the session, so the
next \`serve --daemon\` of the same session finds them and its \`new\` reads where they were.

Options:
${CONFIG_OPTION}
  --daemon        bridge to the policy's daemon instead of holding panes in this process
  --session NAME  the agent session (default "default"): 1-64 of A-Z a-z 0-9 . _ -
${HELP_OPTION}

Exit: 0 when the client goes away; 1 when the daemon went away first; 2 when it served only refusals (no or
invalid policy, no audit log, no daemon it may trust: DAEMON_UNAVAILABLE).`,
  daemon: `Usage: ccmux daemon [--config FILE]
       ccmux daemon stop [--config FILE]

Runs the policy's daemon in the foreground (logs on stderr): one per policy file, holding panes for
\`serve --daemon\` clients behind a Unix socket in $XDG_RUNTIME_DIR/ccmux (else /tmp/ccmux-UID), private to you.
\`serve --daemon\` starts it detached when none runs (its log is beside the socket).
\`stop\` ends the policy's daemon: its panes get SIGHUP, then 1 s, then SIGKILL.

Options:
${CONFIG_OPTION}
${HELP_OPTION}

Exit: daemon: 0 after stop or a signal, 1 it cannot start (another runs; the socket directory is not private),
2 the policy does not validate. stop: 0 stopped, 1 none running or not reachable.`,
  ls: `Usage: ccmux ls [--config FILE] [--json]

Lists your running ccmux daemons (or the one of FILE), their agent sessions, and their panes.

Options:
  --config FILE   only the daemon of this policy
  --json          as JSON
${HELP_OPTION}

Exit: 0, or 1 when a daemon could not be listed (the reason on stderr).`,
  attach: `Usage: ccmux attach [--config FILE] [--session NAME] [--write [--resize]] [--escape-key KEY] PANE

Shows a pane of the policy's daemon in this terminal, live, with a status line (read-only or read-write, agent
or person, name, keys, program). PANE is a pane id (ccmux ls), or a pane name in the session or among your own panes.
The pane is drawn from ccmux's terminal emulator: nothing the pane prints reaches this terminal but text, colours
and cursor moves (no title, clipboard, hyperlink, mode change or query). The daemon draws into this terminal and
reads your keys itself, as the tmux server does; this command holds the terminal in raw mode and tells the daemon
its size. Several people may watch one pane.

Read-only unless --write. With --write you type into the pane as yourself: the policy's input rules bind the
agent, not you. While you hold write, the agent's send_keys to the pane answers PANE_BUSY. Every attach, detach,
take and release of write, and what you type (its length and SHA-256 with audit.redactInput) is audited with
origin "person".

Keys: the escape key (default C-]) then
  d   detach (closing the terminal, or the pane exiting, also returns)
  w   release write, or take it again (with --write)
  h j k l   pan a pane (or text) larger than the terminal; c   follow the cursor again
  r   redraw
  the escape key again types it

Options:
${CONFIG_OPTION}
  --session NAME  the agent session whose pane names are meant (default "default")
  --write         type into the pane (one viewer at a time holds write)
  --resize        with --write: the pane takes this terminal's size while you hold write
  --escape-key KEY  C-x or ^x (default C-])
${HELP_OPTION}

Exit: 0 detached, or the pane or the daemon ended; 1 it could not attach (no daemon, no such pane); 2 usage.`,
  init: `Usage: ccmux init [--force]

Writes a starter ./ccmux.json: workspace ".", a few read-only commands, the sandbox required.
Use it with --config ccmux.json (serve never picks up ./ccmux.json unasked).

Options:
  --force         replace an existing ./ccmux.json
${HELP_OPTION}

Exit: 0 written, 1 not written (it exists, or cannot be written).`,
  policy: `Usage: ccmux policy check [--config FILE] [--cwd DIR] "<command line>"

Dry run of spawn: whether the policy allows this command line, and by which rule; nothing is run.
Prints "allowed" with the argv, rule, cwd and input mode, or "denied: CODE: reason".

Options:
${CONFIG_OPTION}
  --cwd DIR       the working directory spawn would get (default: the first workspace root)
${HELP_OPTION}

Exit: 0 allowed, 1 denied, 2 no policy or one that does not validate (every problem is listed).`,
  schema: `Usage: ccmux schema

Prints the policy file's JSON Schema, generated from the schema the server validates with.
  ccmux schema > ccmux.schema.json   and add "$schema": "./ccmux.schema.json" to the policy for your editor.

Options:
${HELP_OPTION}`,
  doctor: `Usage: ccmux doctor [--config FILE] [--json]

Whether the pane sandbox works on this machine for the policy serve would use, and what each finding means;
every problem and warning of the policy, with file, line and column.

Options:
${CONFIG_OPTION}
  --json          the report as JSON: [{check, value, status: good|warn|info|fail, meaning}]
${HELP_OPTION}

Exit: 0, or 1 when serve would refuse every call (the policy does not validate, the pane user cannot be set up).`,
  prune: `Usage: ccmux prune [--json]

Crypto-shreds the pane journals (pane history kept across daemon restarts, $XDG_STATE_HOME/ccmux/panes) of every
daemon that is not running: each pane's wrapped key is overwritten, then its key and journal are unlinked. A
running daemon's journals stay.

Options:
  --json          what was removed and what was kept, as JSON
${HELP_OPTION}

Exit: 0.`,
  audit: AUDIT_USAGE,
};

/** `ccmux --help`. */
export const USAGE = `Usage: ccmux COMMAND [options]     (ccmux COMMAND --help for each)
  ccmux serve [--config FILE]            MCP server on stdio
  ccmux serve --daemon [--session NAME]  the same, with panes in the policy's daemon (they outlive the client)
  ccmux daemon [stop] [--config FILE]    run (or stop) the policy's daemon
  ccmux ls [--json]                      running daemons, their sessions and panes
  ccmux attach [--write] PANE            watch (or type into) a pane of the daemon, live
  ccmux init [--force]                   write a starter ./ccmux.json
  ccmux policy check [--config FILE] [--cwd DIR] "<command line>"
                                         would spawn allow this? exit 0 allowed, 1 denied
  ccmux schema                           print the policy file's JSON Schema
  ccmux doctor [--config FILE] [--json]  the pane sandbox on this machine and the policy's problems
  ccmux prune [--json]                   shred the pane history of daemons that are not running
  ccmux audit show|tail|summary|verify   review the audit log
  ccmux --version
The policy: ${POLICY_LOOKUP}.`;
