#!/usr/bin/env node
import { parseArgs } from "node:util";
import { AUDIT_USAGE, auditCommand } from "./audit-command.js";
import { doctor } from "./doctor-command.js";
import { initPolicy } from "./init-command.js";
import { policyCheck } from "./policy-check.js";
import { policyJsonSchema } from "./schema-command.js";
import { serve } from "./serve.js";
import { packageVersion } from "./version.js";

const USAGE = `Usage:
  ccmux serve [--config FILE]            MCP server on stdio (policy: --config, or ~/.config/ccmux/ccmux.json)
  ccmux init [--force]                   write a starter ./ccmux.json
  ccmux policy check [--config FILE] [--cwd DIR] "<command line>"
                                         would spawn allow this? exit 0 allowed, 1 denied
  ccmux schema                           print the policy file's JSON Schema
  ccmux doctor [--config FILE] [--json]  the pane sandbox on this machine and policy, and what each finding means
  ccmux audit show|tail|summary|verify   review the audit log (ccmux audit --help)
  ccmux --version`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string" },
      cwd: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
      json: { type: "boolean" },
      file: { type: "string" },
      follow: { type: "boolean", short: "f" },
      lines: { type: "string", short: "n" },
      since: { type: "string" },
      until: { type: "string" },
      tool: { type: "string" },
      decision: { type: "string" },
      pane: { type: "string" },
      code: { type: "string" },
      session: { type: "string" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (command === "audit") {
    if (values.help) {
      process.stdout.write(`${AUDIT_USAGE}\n`);
      return 0;
    }
    const { help: _help, version: _version, force: _force, cwd: _cwd, ...audit } = values;
    return auditCommand({ action: rest[0], ...audit });
  }
  if (values.help || command === undefined || command === "help") {
    (command === undefined && !values.help ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  switch (command) {
    case "serve":
      // stdin and the transport may hold the event loop open after shutdown; serve is done.
      return process.exit(await serve({ config: values.config }));
    case "init":
      return initPolicy({ force: values.force });
    case "doctor":
      return doctor({ json: values.json, ...(values.config === undefined ? {} : { config: values.config }) });
    case "schema":
      process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
      return 0;
    case "policy":
      if (rest[0] !== "check" || rest.length !== 2 || rest[1] === undefined) {
        console.error('Usage: ccmux policy check [--config FILE] [--cwd DIR] "<command line>"');
        return 2;
      }
      return policyCheck({ config: values.config, command: rest[1], cwd: values.cwd });
    default:
      console.error(`ccmux: unknown command "${command}".\n${USAGE}`);
      return 2;
  }
}

// `ccmux audit show | head` closes the pipe early: that is the reader being done, not an error. (Not for
// serve, whose stdout is the MCP channel: it shuts its panes down when the client goes.)
if (process.argv[2] !== "serve") {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`ccmux: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
