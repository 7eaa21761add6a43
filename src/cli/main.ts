#!/usr/bin/env node
import { type ParseArgsConfig, parseArgs } from "node:util";
// Each command is imported when it runs: a bridge (serve --daemon) starts in less time and memory without the
// tools, the emulator and the audit reader it never uses.
import { SESSION_NAME } from "../daemon/session-name.js";
import { commandLineNotUtf8 } from "./command-line-bytes.js";
import { leanBridge } from "./lean-bridge.js";
import { becomeUntraceable } from "./untraced.js";
import { packageVersion } from "./version.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

const HELP: Options = { help: { type: "boolean", short: "h" } };
const CONFIG: Options = { config: { type: "string" } };

/** The options each command takes; anything else is refused, naming that command's help. */
const COMMAND_OPTIONS: Readonly<Record<string, Options>> = {
  serve: { ...HELP, ...CONFIG, daemon: { type: "boolean" }, session: { type: "string" } },
  daemon: { ...HELP, ...CONFIG },
  ls: { ...HELP, ...CONFIG, json: { type: "boolean" } },
  attach: {
    ...HELP,
    ...CONFIG,
    session: { type: "string" },
    write: { type: "boolean" },
    resize: { type: "boolean" },
    "escape-key": { type: "string" },
  },
  init: { ...HELP, force: { type: "boolean" } },
  policy: { ...HELP, ...CONFIG, cwd: { type: "string" } },
  schema: { ...HELP },
  doctor: { ...HELP, ...CONFIG, json: { type: "boolean" } },
  prune: { ...HELP, json: { type: "boolean" } },
  audit: {
    ...HELP,
    ...CONFIG,
    file: { type: "string" },
    json: { type: "boolean" },
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
};

/** A command line that does not fit: the message names the help to read. Exit 2. */
class UsageError extends Error {}

function parseCommand(command: string, args: string[]) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options: COMMAND_OPTIONS[command] ?? {} });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const option = /'(-[^']*)'/.exec((error as Error).message)?.[1];
    const what =
      code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined
        ? `unknown option ${option}`
        : (error as Error).message.split(". ")[0];
    throw new UsageError(`ccmux ${command}: ${what}. See \`ccmux ${command} --help\`.`);
  }
}

function expectNoPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) {
    throw new UsageError(
      `ccmux ${command}: unexpected argument ${JSON.stringify(positionals[0])}. See \`ccmux ${command} --help\`.`,
    );
  }
}

/** The help texts, loaded when one is shown: the bridge's start (`serve --daemon`) never needs them. */
const helpTexts = (): Promise<typeof import("./usage.js")> => import("./usage.js");

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined) {
    process.stderr.write(`${(await helpTexts()).USAGE}\n`);
    return 2;
  }
  if (command === "--help" || command === "-h") {
    process.stdout.write(`${(await helpTexts()).USAGE}\n`);
    return 0;
  }
  if (command === "--version") {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (command === "help") {
    const { COMMAND_USAGE, USAGE } = await helpTexts();
    const usage = args[0] === undefined ? USAGE : COMMAND_USAGE[args[0]];
    if (usage === undefined) throw new UsageError(`ccmux help: no command "${args[0]}".\n${USAGE}`);
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!Object.hasOwn(COMMAND_OPTIONS, command)) {
    const { USAGE } = await helpTexts();
    throw new UsageError(
      command.startsWith("-")
        ? `ccmux: the command comes first, its options after it (got ${command}).\n${USAGE}`
        : `ccmux: unknown command "${command}".\n${USAGE}`,
    );
  }
  const { values, positionals } = parseCommand(command, args);
  /** This command's help, for the refusals below that show it. */
  const usage = async (): Promise<string> => (await helpTexts()).COMMAND_USAGE[command] ?? "";
  // audit prints each action's own help (`ccmux audit show --help`).
  if (values.help && command !== "audit") {
    process.stdout.write(`${await usage()}\n`);
    return 0;
  }
  const config = typeof values.config === "string" ? values.config : undefined;
  switch (command) {
    case "serve": {
      expectNoPositionals(command, positionals);
      const session = typeof values.session === "string" ? values.session : undefined;
      if (session !== undefined && values.daemon !== true)
        throw new UsageError("ccmux serve: --session needs --daemon. See `ccmux serve --help`.");
      if (session !== undefined && !SESSION_NAME.test(session))
        throw new UsageError(
          `ccmux serve: --session ${JSON.stringify(session)}: 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit.`,
        );
      const withConfig = config === undefined ? {} : { config };
      // stdin and the transport may hold the event loop open after shutdown; serve is done.
      if (values.daemon === true)
        return process.exit(
          await (await import("./serve-bridge.js")).serveBridge({
            ...withConfig,
            session: session ?? "default",
          }),
        );
      return process.exit(await (await import("./serve.js")).serve(withConfig));
    }
    case "daemon": {
      const [action, ...extra] = positionals;
      if ((action !== undefined && action !== "stop") || extra.length > 0)
        throw new UsageError(`ccmux daemon: unknown action "${action ?? extra[0]}".\n${await usage()}`);
      const withConfig = config === undefined ? {} : { config };
      const { runDaemon, stopDaemon } = await import("./daemon-command.js");
      if (action === "stop") return stopDaemon(withConfig);
      // The panes' pty readers may hold the event loop open after shutdown; the daemon is done.
      return process.exit(await runDaemon(withConfig));
    }
    case "ls":
      expectNoPositionals(command, positionals);
      return (await import("./ls-command.js")).lsCommand({
        json: values.json === true,
        ...(config === undefined ? {} : { config }),
      });
    case "attach": {
      const [pane, ...extra] = positionals;
      if (pane === undefined || extra.length > 0)
        throw new UsageError(
          `ccmux attach: name exactly one pane (its id or name; see ccmux ls).\n${await usage()}`,
        );
      const session = typeof values.session === "string" ? values.session : "default";
      if (!SESSION_NAME.test(session))
        throw new UsageError(
          `ccmux attach: --session ${JSON.stringify(session)}: 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit.`,
        );
      if (values.resize === true && values.write !== true)
        throw new UsageError("ccmux attach: --resize needs --write (the pane follows the person who types).");
      const escapeKey = values["escape-key"];
      return (await import("./attach/attach-command.js")).attachCommand({
        session,
        pane,
        write: values.write === true,
        resize: values.resize === true,
        ...(typeof escapeKey === "string" ? { escapeKey } : {}),
        ...(config === undefined ? {} : { config }),
      });
    }
    case "init":
      expectNoPositionals(command, positionals);
      return (await import("./init-command.js")).initPolicy({ force: values.force === true });
    case "doctor":
      expectNoPositionals(command, positionals);
      return (await import("./doctor-command.js")).doctor({
        json: values.json === true,
        ...(config === undefined ? {} : { config }),
      });
    case "prune":
      expectNoPositionals(command, positionals);
      return (await import("./prune-command.js")).pruneCommand({ json: values.json === true });
    case "schema":
      expectNoPositionals(command, positionals);
      process.stdout.write(
        `${JSON.stringify((await import("./schema-command.js")).policyJsonSchema(), null, 2)}\n`,
      );
      return 0;
    case "policy": {
      const [action, line, ...extra] = positionals;
      if (action !== "check" || line === undefined || extra.length > 0) {
        throw new UsageError(
          action !== "check"
            ? `ccmux policy: ${action === undefined ? "which action?" : `unknown action "${action}".`} The one action is check.\n${await usage()}`
            : `ccmux policy check: give exactly one command line, quoted.\n${await usage()}`,
        );
      }
      return (await import("./policy-check.js")).policyCheck({
        command: line,
        ...(config === undefined ? {} : { config }),
        ...(typeof values.cwd === "string" ? { cwd: values.cwd } : {}),
      });
    }
    default: {
      return (await import("./audit-command.js")).auditCommand({
        action: positionals[0],
        ...(values as Record<string, string | boolean | undefined>),
      });
    }
  }
}

// `ccmux audit show | head` closes the pipe early: that is the reader being done, not an error. (Not for
// serve, whose stdout is the MCP channel: it shuts its panes down when the client goes; nor the daemon, whose
// stdout is read once by the client that started it.)
if (process.argv[2] !== "serve" && process.argv[2] !== "daemon") {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// The bridge and the daemon hold other sessions' connections, attach a person's, and `serve` its panes' terminals and
// validated shells' command pipes: untraceable before anything else runs.
// Security: an attack review's unsandboxed pane (same uid) read a person's `ccmux attach` through /proc, copied its
// daemon socket with pidfd_getfd and typed as the person, audited as them; ptrace also showed it what they typed.
// Another opened a plain `serve`'s /proc/PID/fd/N, the write end of a validated shell's command pipe, and had the
// shell run code no policy check saw.
const [firstArg, ...restArgs] = process.argv.slice(2);
const holdsSessions =
  firstArg === "serve" || (firstArg === "daemon" && restArgs[0] !== "stop") || firstArg === "attach";
if (commandLineNotUtf8()) {
  console.error("ccmux: an argument is not valid UTF-8; name files by paths that are.");
  process.exit(2);
}
// First of all: a bridge may execute itself again (lean-bridge.ts), and the new image becomes untraceable itself.
if (firstArg === "serve" && restArgs.includes("--daemon")) await leanBridge();
try {
  if (holdsSessions) becomeUntraceable();
} catch (error) {
  console.error(`ccmux: ${(error as Error).message}`);
  process.exit(1);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(
      error instanceof UsageError ? error.message : `ccmux: ${(error as Error).message ?? error}`,
    );
    process.exitCode = 2;
  },
);
