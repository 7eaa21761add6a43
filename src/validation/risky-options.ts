/**
 * THE table of options and arguments that make an allowed program run another program, load code, or write
 * a file it is told to write. ccmux admits them only when a policy rule spells them out as literal tokens;
 * matched by `*` or `**` they are refused (src/validation/option-guard.ts reads this table; nothing else
 * keeps this knowledge). Each entry names its source: the program's manual page section or option.
 *
 * Spellings: `--name` is a long option (also `--name=value`, and any prefix `--na`, since GNU getopt_long and
 * git's parse-options accept unambiguous abbreviations); `-x` is a short option (also inside a cluster such as
 * `-nx`, and with a glued value `-xVALUE`); `-name` (one dash, several letters) is a whole word (find's
 * `-exec`, zip's `-TT`), matched exactly or as `-name=value`.
 */

/** What the option lets the caller choose. */
export type Risk = "runs a program" | "loads code" | "writes a file";

export interface RiskyOption {
  /** Every spelling of the option (see the file comment). */
  readonly spell: readonly string[];
  readonly risk: Risk;
  /** Manual page and section or option where the behaviour is documented. */
  readonly source: string;
  /** Only before the first operand (git's own options, not a subcommand's: `git -c x log` but not `git log -c`). */
  readonly globalOnly?: boolean;
  /** Only after one of these subcommands (git `-u` is --upload-pack for clone/fetch, not for add/status). */
  readonly subcommands?: readonly string[];
}

/** How a program's non-option arguments (operands) can run code. */
export type OperandRule =
  /** The operand after `skip` leading operands is a program run with the remaining arguments. */
  | { readonly kind: "launcher"; readonly skip: number; readonly source: string }
  /** `NAME=value` operands set variables that can run code (make's `SHELL=`, env's `LD_PRELOAD=`). */
  | { readonly kind: "assignment"; readonly source: string }
  /** The first operand is a subcommand; any but these runs code or writes files. */
  | { readonly kind: "subcommand"; readonly safe: readonly string[]; readonly source: string }
  /** The first operand is a subcommand; these run code or write files. */
  | { readonly kind: "risky-subcommand"; readonly risky: readonly string[]; readonly source: string }
  /** Every operand (from the `from`th, 0-based) names code to run (npx's package, sqlite3's SQL). */
  | { readonly kind: "every"; readonly from?: number; readonly source: string }
  /** Operands from the `from`th (0-based), or those starting with `prefix`, name files written (`uniq IN OUT`, `dd of=`). */
  | { readonly kind: "output"; readonly from?: number; readonly prefix?: string; readonly source: string }
  /** An operand with a `:` before any `/` is HOST:PATH, reached by running rsh/ssh (rsync, scp). */
  | { readonly kind: "remote"; readonly source: string }
  /** An operand starting with `+` is a command run at start (`vim +cmd`, `less +cmd`). */
  | { readonly kind: "plus-command"; readonly source: string };

export interface ProgramRisks {
  /** Basenames, with any version suffix removed (`python3.12` → `python`; see programKey). */
  readonly names: readonly string[];
  /** The program runs code it is given (an interpreter, a build tool): `*`/`**` rules get a load warning. */
  readonly runsCode: boolean;
  readonly options: readonly RiskyOption[];
  /** Short options that take a value: the rest of a cluster, or the next argument, is that value. */
  readonly valueShort?: string;
  /** Long options (without `--`) that take the next argument as their value when written without `=`. */
  readonly valueLong?: readonly string[];
  /** Long options may be abbreviated to any unambiguous prefix (GNU getopt_long, git parse-options, argparse, nopt). */
  readonly abbreviates?: boolean;
  /** Long option names that are themselves options although a risky one starts with them (git's `--text`). */
  readonly safeLong?: readonly string[];
  /** Short options taking a value after the subcommand (git: the subcommand's own), when they differ. */
  readonly subcommandValueShort?: string;
  /** The option whose value names a module run as a program (`python -m pytest`): checked as that program. */
  readonly moduleOption?: string;
  /** Every `-word` is a whole word, never a cluster of letters (find's expression). */
  readonly wordsOnly?: boolean;
  /** The first argument may be a cluster without its dash (tar's old style: `tar xzf a.tar`). */
  readonly bundledFirst?: boolean;
  /** `--a_b` is `--a-b` (node accepts either). */
  readonly underscoreIsDash?: boolean;
  /** Option parsing stops at the first operand (interpreters: later words belong to the script). */
  readonly optionsFirst?: boolean;
  readonly operands?: readonly OperandRule[];
  /**
   * Options whose value is a file that, spelled `[USER@]HOST:FILE` (a `:` before any `/`), is reached by running
   * rsh/ssh (GNU tar, cpio): refused when the caller chose the value, unless `local` is a literal argument.
   */
  readonly remoteFile?: {
    readonly options: readonly string[];
    readonly local: string;
    readonly source: string;
  };
  /** The program text is an argument: scanned for commands that run, read or write (script-scan.ts). */
  readonly script?: {
    readonly language: "sed" | "awk";
    /** Options whose value is program text. */
    readonly options: readonly string[];
    /** Options whose value is a program file: with one, no operand is program text. */
    readonly fileOptions: readonly string[];
  };
}

const opt = (
  spell: string | readonly string[],
  risk: Risk,
  source: string,
  scope: Pick<RiskyOption, "globalOnly" | "subcommands"> = {},
): RiskyOption => ({ spell: typeof spell === "string" ? [spell] : spell, risk, source, ...scope });

const RUN: Risk = "runs a program";
const LOAD: Risk = "loads code";
const WRITE: Risk = "writes a file";

/** Wrappers that run the program named by an operand (coreutils, util-linux): the inner program is checked in turn. */
const LAUNCHERS: readonly ProgramRisks[] = [
  {
    names: ["env"],
    abbreviates: true,
    runsCode: true,
    options: [opt(["-S", "--split-string"], RUN, "env(1) -S/--split-string: a whole command line")],
    valueShort: "uCS",
    valueLong: ["unset", "chdir", "split-string"],
    operands: [
      { kind: "assignment", source: "env(1) NAME=VALUE (LD_PRELOAD=… loads code)" },
      { kind: "launcher", skip: 0, source: "env(1) COMMAND" },
    ],
  },
  {
    names: ["xargs"],
    abbreviates: true,
    runsCode: true,
    options: [],
    valueShort: "adEILnPs",
    valueLong: [
      "arg-file",
      "delimiter",
      "max-lines",
      "max-args",
      "max-procs",
      "max-chars",
      "process-slot-var",
    ],
    operands: [{ kind: "launcher", skip: 0, source: "xargs(1) [command [initial-arguments]]" }],
  },
  {
    names: ["timeout"],
    abbreviates: true,
    runsCode: true,
    options: [],
    valueShort: "ks",
    valueLong: ["kill-after", "signal"],
    operands: [{ kind: "launcher", skip: 1, source: "timeout(1) DURATION COMMAND" }],
  },
  {
    names: ["nice"],
    abbreviates: true,
    runsCode: true,
    options: [],
    valueShort: "n",
    valueLong: ["adjustment"],
    operands: [{ kind: "launcher", skip: 0, source: "nice(1) [COMMAND [ARG]...]" }],
  },
  {
    names: ["nohup", "setsid", "time", "unbuffer"],
    runsCode: true,
    options: [opt(["-o", "--output"], WRITE, "time(1) -o FILE")],
    valueShort: "of",
    valueLong: ["output", "format"],
    optionsFirst: true,
    operands: [{ kind: "launcher", skip: 0, source: "nohup(1), setsid(1), time(1): COMMAND" }],
  },
  {
    names: ["stdbuf"],
    abbreviates: true,
    runsCode: true,
    options: [],
    valueShort: "ioe",
    valueLong: ["input", "output", "error"],
    operands: [{ kind: "launcher", skip: 0, source: "stdbuf(1) COMMAND" }],
  },
  {
    names: [
      "ionice",
      "taskset",
      "chrt",
      "watch",
      "strace",
      "ltrace",
      "sudo",
      "doas",
      "chroot",
      "unshare",
      "nsenter",
      "busybox",
      "setpriv",
      "prlimit",
    ],
    runsCode: true,
    options: [opt(["-o", "--output"], WRITE, "strace(1) -o filename, ltrace(1) -o")],
    valueShort: "cnptuUgoOeEsSaAbPIrwdD",
    valueLong: [
      "classdata",
      "class",
      "pid",
      "cpu-list",
      "interval",
      "user",
      "group",
      "output",
      "mount",
      "net",
      "target",
    ],
    operands: [
      {
        kind: "launcher",
        skip: 0,
        source:
          "the wrapper's COMMAND operand: ionice(1), chrt(1), taskset(1), watch(1), strace(1), sudo(8), chroot(8), unshare(1), nsenter(1), busybox(1)",
      },
    ],
  },
  {
    names: ["su", "runuser", "script", "flock"],
    abbreviates: true,
    runsCode: true,
    options: [
      opt(
        ["-c", "--command"],
        RUN,
        "flock(1) -c, su(1) -c, runuser(1) -c, script(1) -c: a shell command line",
      ),
      opt(
        ["-O", "--log-out", "-I", "--log-in", "-B", "--log-io", "-T", "--log-timing"],
        WRITE,
        "script(1) --log-out/--log-in/--log-io/--log-timing file",
      ),
    ],
    valueShort: "cwEEgGsOIBT",
    valueLong: [
      "command",
      "timeout",
      "conflict-exit-code",
      "group",
      "shell",
      "log-out",
      "log-in",
      "log-io",
      "log-timing",
    ],
    operands: [
      {
        kind: "every",
        source:
          "flock(1) file command, runuser(1)/su(1) user [command], script(1) [file]: a program, a user, or a file written",
      },
    ],
  },
];

/** Command shells: they run what they are given, and with `input: keys` Up then Enter re-runs history. */
const SHELLS: ProgramRisks = {
  names: [
    "bash",
    "sh",
    "dash",
    "zsh",
    "ksh",
    "mksh",
    "fish",
    "tcsh",
    "csh",
    "ash",
    "rbash",
    "yash",
    "pwsh",
    "nu",
    "xonsh",
    "elvish",
  ],
  runsCode: true,
  optionsFirst: true,
  options: [
    opt(["-c", "--command"], RUN, "bash(1) -c string, dash(1) -c, zsh(1) -c, fish(1) -c/--command"),
    opt(
      ["--rcfile", "--init-file", "--init-command", "-C"],
      LOAD,
      "bash(1) --rcfile/--init-file, fish(1) -C/--init-command",
    ),
    opt(["-O", "-o"], LOAD, "bash(1) -O shopt_option, -o option (e.g. errtrace with an inherited trap)"),
  ],
  valueShort: "OoC",
  valueLong: ["rcfile", "init-file", "init-command", "command"],
};

/** True when the basename names a command shell (bash(1), dash(1), zsh(1), fish(1), …). */
export function isShellName(basename: string): boolean {
  return SHELLS.names.includes(basename) || SHELLS.names.includes(programKey(basename));
}

const INTERPRETERS: readonly ProgramRisks[] = [
  {
    names: ["node", "nodejs"],
    runsCode: true,
    underscoreIsDash: true,
    optionsFirst: true,
    options: [
      opt(["-e", "--eval", "-p", "--print"], RUN, "node(1) -e/--eval, -p/--print: evaluate script text"),
      opt(
        ["-r", "--require", "--import", "--loader", "--experimental-loader"],
        LOAD,
        "node(1) -r/--require, --import, --loader/--experimental-loader: preload a module (a data: URL is code)",
      ),
      opt(
        ["--env-file", "--env-file-if-exists"],
        LOAD,
        "node(1) --env-file: sets NODE_OPTIONS and other hooks from a file",
      ),
      opt(["--test-reporter"], LOAD, "node(1) --test-reporter: a module specifier"),
      opt(["--run"], RUN, "node(1) --run: a package.json script"),
      opt(
        ["--experimental-policy", "--policy-integrity"],
        LOAD,
        "node(1) --experimental-policy: a policy manifest can redirect module loading",
      ),
      opt(
        [
          "--cpu-prof",
          "--cpu-prof-name",
          "--heap-prof",
          "--heap-prof-name",
          "--report-dir",
          "--report-on-signal",
          "--report-uncaught-exception",
          "--perf-basic-prof",
        ],
        WRITE,
        "node(1) --cpu-prof/--cpu-prof-name, --heap-prof/--heap-prof-name, --report-dir: write files under a chosen name",
      ),
      opt(
        [
          "--openssl-config",
          "--snapshot-blob",
          "--build-snapshot",
          "--experimental-sea-config",
          "--icu-data-dir",
        ],
        LOAD,
        "node(1) --openssl-config (engines), --snapshot-blob/--build-snapshot, --icu-data-dir",
      ),
      opt(
        ["--inspect", "--inspect-brk", "--inspect-wait", "--inspect-port", "--debug-port"],
        RUN,
        "node(1) --inspect*: a debugger endpoint evaluates code",
      ),
      opt(
        [
          "--redirect-warnings",
          "--test-reporter-destination",
          "--report-directory",
          "--report-filename",
          "--diagnostic-dir",
          "--cpu-prof-dir",
          "--heap-prof-dir",
          "--tls-keylog",
          "--trace-event-file-pattern",
          "--prof",
          "--heapsnapshot-signal",
        ],
        WRITE,
        "node(1) --redirect-warnings, --test-reporter-destination, --report-*, --*-prof-dir, --tls-keylog, --prof: write files",
      ),
      opt(
        [
          "--build-snapshot-config",
          "--heapsnapshot-near-heap-limit",
          "--report-on-fatalerror",
          "--trace-event-categories",
          "--trace-events-enabled",
          "--test-update-snapshots",
          "--experimental-test-snapshots",
        ],
        WRITE,
        "node(1) --build-snapshot-config, --heapsnapshot-near-heap-limit, --report-on-fatalerror, --trace-event-categories (node_trace.*.log), --test-update-snapshots: write files",
      ),
      // Security: V8's own flags pass through node; a trailing `*` is every flag the name begins (V8 also
      // reads `_` as `-`). --logfile=CLAUDE.md --log-all writes any file; --trace-turbo* writes JSON beside it.
      opt(
        [
          "--log*",
          "--prof*",
          "--ll-prof",
          "--perf-prof*",
          "--perf-basic-prof*",
          "--gc-fake-mmap",
          "--redirect-code-traces*",
          "--trace-turbo*",
          "--dump-wasm-module*",
          "--gdbjit-dump*",
          "--map-counters",
          "--experimental-wasm-pgo-to-file",
          "--turbo-profiling-output",
          "--trace-ignition-dispatches-output-file",
          "--startup-blob",
          "--startup-src",
          "--embedded-src",
          "--static-roots-src",
          "--heap-snapshot-on-oom",
        ],
        WRITE,
        "node --v8-options: --logfile/--log*, --prof, --perf-prof, --redirect-code-traces-to, --trace-turbo-path, --dump-wasm-module-path, --gdbjit-dump, --map-counters, --startup-blob: write files",
      ),
      opt(
        ["--experimental-network-imports"],
        LOAD,
        "node(1) --experimental-network-imports: import code over https",
      ),
      // Security: Node 22 and 24 added these: a config file (named, or node.config.json in the working
      // directory) sets --import and --require; a global setup module and a package map load code; an entry
      // URL makes the script operand a URL, and a data: URL is code.
      opt(
        [
          "--experimental-config-file",
          "--experimental-default-config-file",
          "--test-global-setup",
          "--experimental-package-map",
          "--entry-url",
        ],
        LOAD,
        "node(1) 22/24 --experimental-config-file, --experimental-default-config-file (node.config.json), --test-global-setup, --experimental-package-map, --entry-url",
      ),
      opt(
        ["--localstorage-file", "--test-rerun-failures"],
        WRITE,
        "node(1) 22/24 --localstorage-file, --test-rerun-failures: write a file under a chosen name",
      ),
      opt(["-i", "--interactive"], RUN, "node(1) -i/--interactive: a REPL runs what is typed into the pane"),
    ],
    valueShort: "erpC",
    // Security: every option `node --help` shows taking a value (Node 20, 22 and 24): read as a value, not as
    // the first operand that ends node's options (`--test-name-pattern x --import=…` still imports).
    valueLong: [
      "eval",
      "print",
      "require",
      "import",
      "loader",
      "experimental-loader",
      "conditions",
      "env-file",
      "env-file-if-exists",
      "test-reporter",
      "test-reporter-destination",
      "redirect-warnings",
      "run",
      "input-type",
      "title",
      "allow-fs-read",
      "allow-fs-write",
      "build-snapshot-config",
      "cpu-prof-dir",
      "cpu-prof-interval",
      "cpu-prof-name",
      "debug-port",
      "diagnostic-dir",
      "disable-proto",
      "disable-warning",
      "dns-result-order",
      "experimental-default-type",
      "experimental-policy",
      "experimental-sea-config",
      "heap-prof-dir",
      "heap-prof-interval",
      "heap-prof-name",
      "heapsnapshot-near-heap-limit",
      "heapsnapshot-signal",
      "icu-data-dir",
      "inspect-port",
      "inspect-publish-uid",
      "max-http-header-size",
      "network-family-autoselection-attempt-timeout",
      "openssl-config",
      "policy-integrity",
      "report-dir",
      "report-directory",
      "report-filename",
      "report-signal",
      "secure-heap",
      "secure-heap-min",
      "snapshot-blob",
      "test-concurrency",
      "test-name-pattern",
      "test-skip-pattern",
      "test-shard",
      "test-timeout",
      "tls-cipher-list",
      "tls-keylog",
      "trace-event-categories",
      "trace-event-file-pattern",
      "trace-require-module",
      "unhandled-rejections",
      "use-largepages",
      "v8-pool-size",
      "watch-path",
      "experimental-config-file",
      "experimental-package-map",
      "experimental-test-isolation",
      "experimental-test-tag-filter",
      "localstorage-file",
      "max-old-space-size-percentage",
      "test-coverage-branches",
      "test-coverage-exclude",
      "test-coverage-functions",
      "test-coverage-include",
      "test-coverage-lines",
      "test-global-setup",
      "test-random-seed",
      "test-rerun-failures",
      "watch-kill-signal",
    ],
  },
  {
    names: ["python", "python2", "python3", "pypy", "pypy3"],
    runsCode: true,
    optionsFirst: true,
    moduleOption: "-m",
    options: [
      opt("-c", RUN, "python(1) -c command"),
      opt("-m", RUN, "python(1) -m module-name: runs a module, found also in the working directory"),
      opt("-W", LOAD, "python(1) -W arg: a warning category module:Class is imported"),
      opt("-X", WRITE, "python(1) -X pycache_prefix=PATH and other implementation options"),
    ],
    valueShort: "cmWXQ",
  },
  {
    names: ["perl"],
    runsCode: true,
    optionsFirst: true,
    options: [
      opt(["-e", "-E"], RUN, "perlrun(1) -e/-E commandline"),
      opt(["-M", "-m", "-I", "-d"], LOAD, "perlrun(1) -M/-m module, -I directory, -d[:Module] debugger"),
      opt("-i", WRITE, "perlrun(1) -i[extension]: edits files in place"),
      opt("-x", RUN, "perlrun(1) -x: runs a script embedded in a file"),
    ],
    valueShort: "eEMmIdixlC0DV",
  },
  {
    names: ["ruby", "irb"],
    runsCode: true,
    optionsFirst: true,
    options: [
      opt("-e", RUN, "ruby(1) -e command"),
      opt(["-r", "-I", "--require"], LOAD, "ruby(1) -r library, -I directory"),
      opt("-i", WRITE, "ruby(1) -i[extension]: edits files in place"),
    ],
    valueShort: "erIixCEFKT",
  },
  SHELLS,
  {
    names: ["lua", "luajit"],
    runsCode: true,
    optionsFirst: true,
    options: [opt("-e", RUN, "lua(1) -e stat"), opt(["-l"], LOAD, "lua(1) -l mod")],
    valueShort: "el",
  },
  {
    names: ["php"],
    runsCode: true,
    optionsFirst: true,
    options: [
      opt(
        [
          "-r",
          "-B",
          "-R",
          "-F",
          "-E",
          "--run",
          "--process-begin",
          "--process-code",
          "--process-file",
          "--process-end",
        ],
        RUN,
        "php(1) -r code, -B/-R/-E code, -F file",
      ),
      opt(
        ["-d", "--define", "-c", "--php-ini", "-z", "--zend-extension"],
        LOAD,
        "php(1) -d foo=bar (auto_prepend_file), -c php.ini, -z extension",
      ),
    ],
    valueShort: "rBREFdcz",
  },
  {
    names: ["pytest", "py.test"],
    abbreviates: true,
    runsCode: true,
    options: [
      opt("-p", LOAD, "pytest --help: -p name, early-load a plugin module"),
      opt(
        ["-c", "--config-file", "-o", "--override-ini", "--confcutdir", "--rootdir"],
        LOAD,
        "pytest --help: -c/--config-file, -o/--override-ini (addopts, plugins)",
      ),
      opt(
        ["--junitxml", "--junit-xml", "--resultlog", "--result-log", "--debug", "--basetemp", "--pastebin"],
        WRITE,
        "pytest --help: --junitxml, --debug, --basetemp (removes its contents)",
      ),
    ],
    valueShort: "pcokmx",
  },
  {
    names: ["pip", "pip3", "uv", "pipx", "poetry"],
    runsCode: true,
    abbreviates: true,
    options: [
      opt(
        ["-r", "--requirement", "-c", "--constraint", "-e", "--editable"],
        LOAD,
        "pip-install(1) -r/--requirement, -c/--constraint, -e/--editable (a local project's build runs)",
      ),
      opt(
        [
          "--target",
          "-t",
          "--prefix",
          "--root",
          "--src",
          "--log",
          "--log-file",
          "--cache-dir",
          "-d",
          "--dest",
        ],
        WRITE,
        "pip-install(1) --target/--prefix/--root/--src, pip(1) --log/--cache-dir, pip-download(1) -d/--dest",
      ),
      opt(
        [
          "--index-url",
          "-i",
          "--extra-index-url",
          "--find-links",
          "-f",
          "--trusted-host",
          "--cert",
          "--client-cert",
          "--proxy",
        ],
        LOAD,
        "pip-install(1) --index-url, --extra-index-url, --find-links: where code comes from",
      ),
    ],
    valueShort: "rceitdf",
    valueLong: [
      "requirement",
      "constraint",
      "editable",
      "target",
      "prefix",
      "root",
      "src",
      "log",
      "cache-dir",
      "dest",
      "index-url",
      "extra-index-url",
      "find-links",
    ],
    operands: [
      {
        kind: "subcommand",
        safe: [
          "list",
          "show",
          "freeze",
          "check",
          "help",
          "search",
          "inspect",
          "index",
          "debug",
          "tree",
          "version",
        ],
        source:
          "pip(1) COMMANDS: install/download/wheel/uninstall build, fetch or remove code; uv(1) run, pipx(1) run",
      },
    ],
  },
];

const TEXT_TOOLS: readonly ProgramRisks[] = [
  {
    names: ["sed", "gsed"],
    abbreviates: true,
    runsCode: true,
    options: [
      opt(["-f", "--file"], LOAD, "sed(1) -f script-file: a script with e/r/w commands"),
      opt(["-i", "--in-place"], WRITE, "sed(1) -i[SUFFIX]/--in-place: edits files in place"),
    ],
    valueShort: "efl",
    valueLong: ["expression", "file", "line-length"],
    script: { language: "sed", options: ["-e", "--expression"], fileOptions: ["-f", "--file"] },
  },
  {
    names: ["awk", "gawk", "mawk", "nawk", "original-awk", "busybox-awk"],
    abbreviates: true,
    runsCode: true,
    options: [
      opt(["-f", "--file", "-E", "--exec"], LOAD, "gawk(1) -f program-file, -E/--exec file; mawk(1) -f"),
      opt(
        ["-i", "--include", "-l", "--load"],
        LOAD,
        "gawk(1) -i/--include source-file, -l/--load extension (a shared library)",
      ),
      opt(
        ["-o", "--pretty-print", "-p", "--profile", "-d", "--dump-variables", "-D", "--debug"],
        WRITE,
        "gawk(1) -o/-p/-d write files; -D reads debugger commands",
      ),
      opt("-W", LOAD, "mawk(1) -W exec file / -W dump; gawk(1) -W long-option"),
    ],
    // Security: `-e` takes the program text (gawk's --source, busybox awk's -e): read its value as the script.
    valueShort: "efFvEilopdDW",
    valueLong: ["file", "field-separator", "assign", "exec", "include", "load", "source"],
    script: { language: "awk", options: ["-e", "--source"], fileOptions: ["-f", "--file", "-E", "--exec"] },
  },
  {
    names: ["sort"],
    abbreviates: true,
    runsCode: false,
    options: [
      opt(["-o", "--output"], WRITE, "sort(1) -o/--output=FILE"),
      opt(["--compress-program"], RUN, "sort(1) --compress-program=PROG"),
      opt(["-T", "--temporary-directory"], WRITE, "sort(1) -T/--temporary-directory=DIR"),
    ],
    valueShort: "kotTS",
    valueLong: [
      "key",
      "output",
      "field-separator",
      "temporary-directory",
      "buffer-size",
      "parallel",
      "files0-from",
      "random-source",
      "compress-program",
      "batch-size",
      "sort",
    ],
  },
  {
    names: ["xxd"],
    runsCode: false,
    options: [],
    valueShort: "cglnosR",
    operands: [
      { kind: "output", from: 1, source: "xxd(1) xxd [options] [infile [outfile]]: outfile is written" },
    ],
  },
  {
    names: ["uniq"],
    abbreviates: true,
    runsCode: false,
    options: [],
    valueShort: "fsw",
    valueLong: ["skip-fields", "skip-chars", "check-chars"],
    operands: [
      { kind: "output", from: 1, source: "uniq(1) uniq [OPTION]... [INPUT [OUTPUT]]: OUTPUT is written" },
    ],
  },
  {
    names: ["tee"],
    abbreviates: true,
    runsCode: false,
    options: [],
    operands: [{ kind: "output", from: 0, source: "tee(1) tee [OPTION]... [FILE]...: each FILE is written" }],
  },
  {
    names: ["dd"],
    runsCode: false,
    options: [],
    operands: [{ kind: "output", prefix: "of=", source: "dd(1) of=FILE: write to FILE" }],
  },
  {
    names: ["shuf"],
    abbreviates: true,
    runsCode: false,
    options: [opt(["-o", "--output"], WRITE, "shuf(1) -o/--output=FILE")],
    valueShort: "inoe",
    valueLong: ["head-count", "input-range", "output", "random-source"],
  },
  {
    names: ["iconv"],
    abbreviates: true,
    runsCode: false,
    options: [opt(["-o", "--output"], WRITE, "iconv(1) -o/--output=FILE")],
    valueShort: "fto",
    valueLong: ["from-code", "to-code", "output"],
  },
  {
    names: ["tree"],
    runsCode: false,
    options: [
      opt(["-o"], WRITE, "tree(1) -o filename: send output to filename"),
      opt(["-R"], WRITE, "tree(1) -R: with -H, writes 00Tree.html in each directory (-o 00Tree.html)"),
    ],
    valueShort: "LPIoHT",
  },
  {
    names: ["split"],
    abbreviates: true,
    runsCode: false,
    options: [opt(["--filter"], RUN, "split(1) --filter=COMMAND: write to a shell COMMAND")],
    valueShort: "abClnt",
    valueLong: [
      "suffix-length",
      "additional-suffix",
      "bytes",
      "line-bytes",
      "lines",
      "number",
      "separator",
      "filter",
    ],
    operands: [
      {
        kind: "output",
        from: 1,
        source: "split(1) split [OPTION]... [FILE [PREFIX]]: files PREFIXaa… are written",
      },
    ],
  },
  {
    names: ["file"],
    abbreviates: true,
    runsCode: false,
    options: [opt(["-C", "--compile"], WRITE, "file(1) -C/--compile: writes magic.mgc")],
    valueShort: "emfFP",
    valueLong: ["exclude", "exclude-quiet", "files-from", "separator", "magic-file", "parameter"],
  },
  {
    names: ["yq"],
    runsCode: false,
    options: [
      opt(["-i", "--inplace"], WRITE, "yq(1) -i/--inplace: update the file in place"),
      opt(
        ["-s", "--split-exp"],
        WRITE,
        "yq(1) -s/--split-exp: write each result to a file named by the expression",
      ),
      opt(["--from-file"], LOAD, "yq(1) --from-file: the expression from a file"),
    ],
    valueShort: "ospI",
  },
  {
    names: ["sqlite3"],
    runsCode: true,
    options: [
      opt(["-cmd", "--cmd"], RUN, "sqlite3(1) -cmd COMMAND: a dot command (.shell, .system run programs)"),
      opt(["-init", "--init"], LOAD, "sqlite3(1) -init FILE: SQL and dot commands from a file"),
    ],
    wordsOnly: true,
    operands: [
      {
        kind: "every",
        from: 1,
        source:
          "sqlite3(1) sqlite3 [OPTIONS] FILENAME [SQL...]: .shell/.system run programs, .output/VACUUM INTO/ATTACH write files, load_extension loads code",
      },
    ],
  },
  {
    names: ["find"],
    runsCode: true,
    wordsOnly: true,
    options: [
      opt(["-exec", "-execdir", "-ok", "-okdir"], RUN, "find(1) ACTIONS: -exec, -execdir, -ok, -okdir"),
      opt(["-delete"], WRITE, "find(1) ACTIONS: -delete"),
      opt(
        ["-fprint", "-fprint0", "-fprintf", "-fls"],
        WRITE,
        "find(1) ACTIONS: -fprint, -fprint0, -fprintf, -fls create files",
      ),
    ],
  },
  {
    names: ["grep", "egrep", "fgrep", "rg", "ugrep"],
    abbreviates: true,
    runsCode: false,
    options: [
      opt(
        ["--pre", "--pre-glob", "--hostname-bin", "--filter"],
        RUN,
        "rg(1) --pre COMMAND, --hostname-bin; ugrep(1) --filter=COMMANDS",
      ),
    ],
    valueShort: "efmABCdDgtTM",
    valueLong: ["regexp", "file", "max-count", "pre", "pre-glob", "hostname-bin", "filter"],
  },
  {
    names: ["diff", "sdiff", "diff3"],
    abbreviates: true,
    runsCode: false,
    options: [
      opt(["--diff-program"], RUN, "sdiff(1), diff3(1) --diff-program=PROGRAM"),
      opt(["-o", "--output"], WRITE, "sdiff(1) -o/--output=FILE"),
    ],
    valueShort: "oILFWX",
  },
  {
    names: ["less", "more", "most", "pg"],
    abbreviates: true,
    runsCode: false,
    options: [
      opt(["-o", "-O", "--log-file", "--LOG-FILE"], WRITE, "less(1) -o/-O logfile"),
      opt(
        ["-k", "--lesskey-file", "--lesskey-src", "--lesskey-content"],
        LOAD,
        "less(1) -k keyfile (key bindings, #env LESSOPEN)",
      ),
    ],
    valueShort: "oOkbhjpPtTxyz#",
    operands: [
      {
        kind: "plus-command",
        source: "less(1) +cmd, more(1) +/pattern: commands run at start (! runs a shell)",
      },
    ],
  },
  {
    names: ["man"],
    abbreviates: true,
    runsCode: false,
    options: [
      opt(
        ["-P", "--pager", "-H", "--html", "-X", "--gxditview"],
        RUN,
        "man(1) -P/--pager=pager, -H/--html[=browser], -X",
      ),
      opt(["-C", "--config-file", "-p", "--preprocessor"], LOAD, "man(1) -C/--config-file, -p string"),
    ],
    valueShort: "PCpMmSseLRET",
  },
  {
    names: ["vim", "vi", "ex", "view", "nvim", "gvim", "rvim", "vimdiff", "evim"],
    runsCode: true,
    options: [
      opt(["-c", "--cmd"], RUN, "vim(1) -c command, --cmd command"),
      opt(["-S", "-u", "-U", "-s"], LOAD, "vim(1) -S file, -u vimrc, -U gvimrc, -s scriptin"),
      opt(
        ["-w", "-W", "-i", "-V", "--startuptime"],
        WRITE,
        "vim(1) -w/-W scriptout, -i viminfo, -V[N]file, --startuptime file",
      ),
    ],
    valueShort: "cSuUsWwitTrqV",
    operands: [{ kind: "plus-command", source: "vim(1) +command, +/pattern" }],
  },
];

const ARCHIVERS: readonly ProgramRisks[] = [
  {
    names: ["tar", "gtar", "bsdtar"],
    abbreviates: true,
    runsCode: false,
    bundledFirst: true,
    options: [
      opt(
        [
          "--to-command",
          "-I",
          "--use-compress-program",
          "--checkpoint-action",
          "--rsh-command",
          "--info-script",
          "--new-volume-script",
          "-F",
          "--rmt-command",
        ],
        RUN,
        "tar(1) --to-command, -I/--use-compress-program, --checkpoint-action=exec=, --rsh-command, -F/--info-script",
      ),
      opt(["-f", "--file"], WRITE, "tar(1) -f ARCHIVE: written in create/append modes; HOST:FILE runs rsh"),
      opt(
        [
          "-x",
          "--extract",
          "--get",
          "-c",
          "--create",
          "-r",
          "--append",
          "-u",
          "--update",
          "-A",
          "--catenate",
          "--concatenate",
          "--delete",
          "--remove-files",
          "-g",
          "--listed-incremental",
          "--index-file",
          "--volno-file",
        ],
        WRITE,
        "tar(1) operation modes -x/-c/-r/-u/-A/--delete, --remove-files, -g, --index-file",
      ),
    ],
    valueShort: "fIFCbgHKLNTVX",
    remoteFile: {
      options: ["-f", "--file"],
      local: "--force-local",
      source:
        "tar(1) -f [HOSTNAME:]FILE: a name with a colon is a remote archive opened by running rsh/ssh (--rsh-command); --force-local",
    },
    valueLong: [
      "file",
      "directory",
      "files-from",
      "exclude-from",
      "to-command",
      "use-compress-program",
      "checkpoint-action",
      "rsh-command",
      "info-script",
      "new-volume-script",
      "listed-incremental",
      "index-file",
      "volno-file",
    ],
  },
  {
    names: ["cpio"],
    abbreviates: true,
    runsCode: false,
    options: [
      opt(["--rsh-command"], RUN, "cpio(1) --rsh-command=COMMAND"),
      opt(
        ["-i", "--extract", "-p", "--pass-through", "-o", "--create", "-O"],
        WRITE,
        "cpio(1) -i/--extract and -p/--pass-through write files; -o/--create and -O ARCHIVE write an archive",
      ),
    ],
    valueShort: "FIOEDHMRC",
    valueLong: [
      "file",
      "pattern-file",
      "directory",
      "format",
      "message",
      "owner",
      "rsh-command",
      "block-size",
    ],
    remoteFile: {
      options: ["-F", "--file", "-I", "-O"],
      local: "--force-local",
      source:
        "cpio(1) -F/-I/-O [[USER@]HOST:]FILE-NAME: a remote archive opened by running rsh/ssh; --force-local",
    },
  },
  {
    names: ["zip"],
    runsCode: false,
    options: [
      opt(
        ["-T", "--test", "-TT", "--unzip-command"],
        RUN,
        "zip(1) -T/--test runs unzip, -TT/--unzip-command cmd",
      ),
    ],
    valueShort: "bnOtxiPs",
  },
  {
    names: ["unzip"],
    runsCode: false,
    options: [opt("-:", WRITE, "unzip(1) -: extracts through ../ components")],
    valueShort: "dxP",
  },
];

const BUILD_AND_PACKAGE: readonly ProgramRisks[] = [
  {
    names: ["make", "gmake", "bmake"],
    abbreviates: true,
    runsCode: true,
    options: [
      opt(
        ["-f", "--file", "--makefile", "-I", "--include-dir"],
        LOAD,
        "make(1) -f/--file/--makefile, -I/--include-dir",
      ),
      opt(["-E", "--eval"], RUN, "make(1) -E/--eval=string"),
      opt(
        [
          "-t",
          "--touch",
          "-W",
          "--what-if",
          "--new-file",
          "--assume-new",
          "-o",
          "--old-file",
          "--assume-old",
        ],
        WRITE,
        "make(1) -t/--touch; -W/-o change what is rebuilt",
      ),
    ],
    valueShort: "fCIEjlWoO",
    valueLong: [
      "file",
      "makefile",
      "directory",
      "include-dir",
      "eval",
      "jobs",
      "load-average",
      "what-if",
      "new-file",
      "assume-new",
      "old-file",
      "assume-old",
      "output-sync",
    ],
    operands: [{ kind: "assignment", source: "make(1) variable=value (SHELL=, CC= run commands)" }],
  },
  {
    names: ["npm"],
    abbreviates: true,
    runsCode: true,
    options: [
      opt(
        [
          "--script-shell",
          "--shell",
          "--git",
          "--editor",
          "--viewer",
          "--browser",
          "--node-options",
          "--node-gyp",
          "-c",
          "--call",
          "--onload-script",
        ],
        RUN,
        "npm-config(7): script-shell, shell, git, editor, viewer, browser, node-options, node-gyp; npm-exec(1) -c/--call",
      ),
      opt(
        ["--userconfig", "--globalconfig", "--init-module", "--prefix", "-C", "--package", "--registry"],
        LOAD,
        "npm-config(7): userconfig, globalconfig, init-module, prefix; npm-exec(1) --package",
      ),
    ],
    valueShort: "wC",
    operands: [
      {
        kind: "subcommand",
        safe: [
          "ls",
          "list",
          "la",
          "ll",
          "view",
          "v",
          "info",
          "show",
          "outdated",
          "search",
          "s",
          "se",
          "find",
          "whoami",
          "ping",
          "prefix",
          "root",
          "explain",
          "why",
          "query",
          "help",
          "get",
        ],
        source:
          "npm(1) COMMANDS: run/test/start/exec/install/ci/rebuild/pack/publish/version run package scripts or install code",
      },
    ],
  },
  {
    names: ["npx", "pnpx", "bunx"],
    runsCode: true,
    options: [opt(["-c", "--call", "-p", "--package"], RUN, "npx(1) -c/--call, -p/--package")],
    valueShort: "cp",
    valueLong: ["call", "package"],
    operands: [{ kind: "every", source: "npx(1) <pkg>[@<version>] [args...]: runs a package's binary" }],
  },
  {
    names: ["git"],
    runsCode: false,
    abbreviates: true,
    safeLong: ["text"],
    options: [
      opt(
        ["--output", "--output-directory", "-o"],
        WRITE,
        "git-diff(1)/git-log(1) --output=<file>; git-format-patch(1) -o/--output-directory; git-archive(1) -o/--output",
      ),
      opt(
        ["--ext-diff", "--textconv"],
        RUN,
        "git-diff(1) --ext-diff (diff.external, GIT_EXTERNAL_DIFF), --textconv (diff.<driver>.textconv)",
      ),
      opt(
        [
          "-c",
          "--config-env",
          "--exec-path",
          "--git-dir",
          "--work-tree",
          "--namespace",
          "--super-prefix",
          "--attr-source",
          "-p",
          "--paginate",
        ],
        LOAD,
        "git(1) OPTIONS: -c name=value (core.pager, core.sshCommand, …), --config-env, --exec-path, --git-dir, --work-tree, -p (pager)",
        { globalOnly: true },
      ),
      opt(
        [
          "--upload-pack",
          "--receive-pack",
          "--exec",
          "--template",
          "--to-cmd",
          "--cc-cmd",
          "--sendmail-cmd",
          "--smtp-server",
        ],
        RUN,
        "git-fetch(1)/git-clone(1) --upload-pack; git-push(1) --receive-pack; git-archive(1) --exec; git-rebase(1) --exec; git-init(1) --template (hooks); git-send-email(1) --to-cmd/--cc-cmd/--sendmail-cmd/--smtp-server",
      ),
      opt(["-u"], RUN, "git-clone(1)/git-fetch(1)/git-ls-remote(1) -u <upload-pack>", {
        subcommands: ["clone", "fetch", "pull", "ls-remote"],
      }),
      opt(["-O", "--open-files-in-pager"], RUN, "git-grep(1) -O[<pager>]/--open-files-in-pager", {
        subcommands: ["grep"],
      }),
      opt(["--remote"], RUN, "git-archive(1) --remote (runs git-upload-archive, or --exec)", {
        subcommands: ["archive"],
      }),
      opt(["-x"], RUN, "git-rebase(1) -x/--exec <cmd>", { subcommands: ["rebase"] }),
    ],
    valueShort: "cC",
    valueLong: [
      "git-dir",
      "work-tree",
      "namespace",
      "config-env",
      "super-prefix",
      "attr-source",
      "list-cmds",
    ],
    subcommandValueShort: "ABCGLMNOSUXlmnoux",
    operands: [
      {
        kind: "risky-subcommand",
        risky: [
          "bisect",
          "rebase",
          "submodule",
          "filter-branch",
          "filter-repo",
          "difftool",
          "mergetool",
          "send-email",
          "daemon",
          "instaweb",
          "web--browse",
          "config",
          "archive",
          "format-patch",
          "bundle",
          "credential",
          "upload-pack",
          "receive-pack",
          "upload-archive",
          "shell",
          "http-backend",
          "remote-ext",
          "fast-import",
          "hook",
          "help",
        ],
        source:
          "git(1) GIT COMMANDS: bisect run, rebase --exec, submodule foreach, filter-branch, difftool/mergetool, send-email, daemon, instaweb, help (browser), config (writes settings), archive/format-patch/bundle (write files), hook run",
      },
    ],
  },
];

const NETWORK: readonly ProgramRisks[] = [
  {
    names: ["sftp"],
    runsCode: true,
    options: [
      opt(["-o", "-F", "-S"], LOAD, "sftp(1) -o ssh_option (ProxyCommand=), -F ssh_config, -S program"),
      opt(["-D"], RUN, "sftp(1) -D sftp_server_command: run locally instead of over ssh"),
      opt(["-b"], LOAD, "sftp(1) -b batchfile: `!command` lines run locally"),
    ],
    valueShort: "BbcDFilPRSsJ",
  },
  {
    names: ["ssh", "scp", "slogin"],
    runsCode: true,
    options: [
      opt(
        ["-o", "-F", "-S"],
        LOAD,
        "ssh(1) -o ProxyCommand=/LocalCommand=, -F configfile; scp(1) -S program",
      ),
      opt("-E", WRITE, "ssh(1) -E log_file"),
    ],
    valueShort: "bcDEeFIiJLlmOoPpQRSWw",
    operands: [
      { kind: "remote", source: "scp(1) [user@]host:path: runs ssh(1) (or -S program) for the remote side" },
    ],
  },
  {
    names: ["rsync"],
    abbreviates: true,
    runsCode: true,
    options: [
      opt(["-e", "--rsh", "--rsync-path"], RUN, "rsync(1) -e/--rsh=COMMAND, --rsync-path=PROGRAM"),
      opt(
        ["--log-file", "--write-batch", "--only-write-batch", "--read-batch"],
        WRITE,
        "rsync(1) --log-file, --write-batch, --read-batch",
      ),
    ],
    valueShort: "eBfMT",
    operands: [
      {
        kind: "remote",
        source:
          "rsync(1) [USER@]HOST:SRC: runs the remote shell (-e, default ssh) with the host as its argument",
      },
    ],
  },
  {
    names: ["curl"],
    runsCode: false,
    options: [
      opt(
        [
          "-o",
          "--output",
          "-O",
          "--remote-name",
          "--remote-name-all",
          "--output-dir",
          "-D",
          "--dump-header",
          "-c",
          "--cookie-jar",
          "--trace",
          "--trace-ascii",
          "--stderr",
          "--libcurl",
          "--etag-save",
          "--hsts",
          "--alt-svc",
          "-J",
          "--remote-header-name",
        ],
        WRITE,
        "curl(1) -o/--output, -O, -D/--dump-header, -c/--cookie-jar, --trace, --stderr, --libcurl, --etag-save, --hsts, --alt-svc",
      ),
      opt(["-w", "--write-out"], WRITE, "curl(1) -w/--write-out: %output{file} writes to a file (curl 8.3+)"),
      opt(
        ["-K", "--config", "--engine"],
        LOAD,
        "curl(1) -K/--config (any option, output files included), --engine",
      ),
    ],
    valueShort: "oDcKdeEHuUTAbCrmwxXyYzF",
  },
  {
    names: ["wget"],
    abbreviates: true,
    runsCode: false,
    options: [
      opt(
        [
          "-O",
          "--output-document",
          "-o",
          "--output-file",
          "-a",
          "--append-output",
          "-P",
          "--directory-prefix",
        ],
        WRITE,
        "wget(1) -O, -o, -a, -P",
      ),
      opt(["-e", "--execute", "--config"], LOAD, "wget(1) -e/--execute command, --config=FILE"),
    ],
    valueShort: "OoaPeiTtwUBQ",
  },
];

/** Every entry, one table: launchers, interpreters, text tools, archivers, build and package tools, network tools. */
export const RISKY_PROGRAMS: readonly ProgramRisks[] = [
  ...LAUNCHERS,
  ...INTERPRETERS,
  ...TEXT_TOOLS,
  ...ARCHIVERS,
  ...BUILD_AND_PACKAGE,
  ...NETWORK,
];

/** The table key of a program basename: `python3.12` → `python3`; `gawk-5.1` → `gawk`. */
export function programKey(basename: string): string {
  const trimmed = basename.replace(/(?<=[a-z])[-.]?[0-9][0-9.]*$/i, "");
  return trimmed === "" ? basename : trimmed;
}

const BY_NAME = new Map<string, ProgramRisks>();
for (const entry of RISKY_PROGRAMS) for (const name of entry.names) BY_NAME.set(name, entry);

/** The table entry for the first of these basenames that has one (the rule's name, then its realpath's). */
export function risksOf(basenames: readonly string[]): ProgramRisks | undefined {
  for (const name of basenames) {
    const entry = BY_NAME.get(name) ?? BY_NAME.get(programKey(name));
    if (entry !== undefined) return entry;
  }
  return undefined;
}
