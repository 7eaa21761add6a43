import { AUDIT_USAGE } from "./audit-command.js";

/** How serve, policy check and doctor find the policy (findPolicy), for every help text that names it. */
export const POLICY_LOOKUP =
  "--config FILE, else $XDG_CONFIG_HOME/ccmux/ccmux.json (~/.config/ccmux/ccmux.json); ./ccmux.json only when named with --config (a pane could have written it)";

const CONFIG_OPTION = `  --config FILE   the policy: ${POLICY_LOOKUP}`;
const HELP_OPTION = "  -h, --help      this help";

/** Each command's help, printed by `ccmux COMMAND --help` and `ccmux help COMMAND`. */
export const COMMAND_USAGE: Readonly<Record<string, string>> = {
  serve: `Usage: ccmux serve [--config FILE]

The MCP server on stdio, for a client to start, e.g.:
  claude mcp add ccmux -- ccmux serve --config /abs/path/ccmux.json
stdout carries only JSON-RPC; stderr gets any warnings, then one line saying it serves (policy, audit log, sandbox).
A missing or invalid policy does not stop it: it answers the client and refuses every tool call with
POLICY_INVALID, listing every problem (also on stderr), and never runs anything.

Options:
${CONFIG_OPTION}
${HELP_OPTION}

Exit: 0 when the client goes away; 2 when it served only refusals (no or invalid policy, no audit log).`,
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
  audit: AUDIT_USAGE,
};

/** `ccmux --help`. */
export const USAGE = `Usage: ccmux COMMAND [options]     (ccmux COMMAND --help for each)
  ccmux serve [--config FILE]            MCP server on stdio
  ccmux init [--force]                   write a starter ./ccmux.json
  ccmux policy check [--config FILE] [--cwd DIR] "<command line>"
                                         would spawn allow this? exit 0 allowed, 1 denied
  ccmux schema                           print the policy file's JSON Schema
  ccmux doctor [--config FILE] [--json]  the pane sandbox on this machine and the policy's problems
  ccmux audit show|tail|summary|verify   review the audit log
  ccmux --version
The policy: ${POLICY_LOOKUP}.`;
