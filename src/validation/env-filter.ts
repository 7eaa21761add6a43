import { CcmuxError } from "../errors.js";
import { PANE_ENV_DEFAULTS } from "./pane-env-defaults.js";
import { isSecretName, isSecretValue } from "./secret-names.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Largest value of one variable the agent or env.set may give a pane, in UTF-8 bytes. */
export const MAX_ENV_VALUE_BYTES = 32 * 1024;

// Security: variables that make a program load code, read config or run commands chosen by whoever sets them
// (LD_PRELOAD, NODE_OPTIONS=--require, BASH_ENV, GIT_SSH_COMMAND, PAGER, …). A denylist is never complete:
// env.fromAgent is the real gate; this stops the known footguns. Sources, by entry: ld.so(8) ENVIRONMENT
// (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH) and dyld(1); git(1) ENVIRONMENT VARIABLES and git-config(1)
// ENVIRONMENT (GIT_SSH_COMMAND, GIT_CONFIG_COUNT/KEY_n/VALUE_n, GIT_CONFIG_PARAMETERS); node(1) ENVIRONMENT
// (NODE_OPTIONS, NODE_PATH); python(1) ENVIRONMENT (PYTHONSTARTUP, PYTHONPATH, PYTHONHOME); perlrun(1)
// ENVIRONMENT (PERL5OPT, PERL5LIB, PERLLIB, PERL5DB); ruby(1) ENVIRONMENT (RUBYOPT, RUBYLIB); Lua manual §7
// "Standalone Lua" (LUA_INIT, LUA_INIT_5_4, LUA_PATH, LUA_CPATH); pytest docs "Environment variables"
// (PYTEST_ADDOPTS, PYTEST_PLUGINS); .NET docs "host startup hooks" and "runtime configuration"
// (DOTNET_STARTUP_HOOKS, DOTNET_ADDITIONAL_DEPS, CORECLR_PROFILER*, COMPlus_*); JVMTI spec
// "Command-Line Option" (JAVA_TOOL_OPTIONS), java(1) (JDK_JAVA_OPTIONS, _JAVA_OPTIONS, CLASSPATH);
// php(1) (PHPRC, PHP_INI_SCAN_DIR); R "Startup" (R_PROFILE, R_PROFILE_USER, R_ENVIRON*, R_LIBS*);
// erl(1) (ERL_AFLAGS, ERL_ZFLAGS, ERL_LIBS); gawk manual §2.5 (AWKPATH, AWKLIBPATH); tar(1) TAR_OPTIONS;
// gzip(1) GZIP; zip(1) ZIPOPT; unzip(1) UNZIP/UNZIPOPT; xz(1) XZ_OPT; less(1) (LESSOPEN, LESSKEY*);
// man(1) (MANOPT, MANPAGER); vim(1) (VIMINIT, EXINIT, MYVIMRC, VIMRUNTIME); readline(3) INPUTRC; bash(1)
// (BASH_ENV, ENV, PROMPT_COMMAND, …); rsync(1) RSYNC_RSH, RSYNC_CONNECT_PROG; cvs(1) CVS_RSH; make(1) MAKEFLAGS;
// Maven/Gradle/sbt/Ant launcher scripts (*_OPTS); curl(1) CURL_HOME; wget(1) WGETRC; hg(1) HGRCPATH;
// the pager/editor/browser/askpass family, each run as a command line by the tool that reads it: gh help
// environment (GH_PAGER, GH_EDITOR, GH_BROWSER), psql(1) (PSQL_PAGER, PSQL_EDITOR), AWS CLI (AWS_PAGER),
// bat (BAT_PAGER), delta (DELTA_PAGER), git(1) (GIT_ASKPASS), ssh(1) SSH_ASKPASS.
const HOOK_NAME = new RegExp(
  [
    "_(PAGER|EDITOR|BROWSER|ASKPASS)$",
    "^(LD|DYLD|GIT|NODE|GEM|BUNDLE|NPM_CONFIG|YARN|PIP|UV|CARGO|GO|CGO|XDG|OPENSSL|SSL|MALLOC|GLIBC|BASH_FUNC|JAVA|JDK_JAVA)_",
    "^(PYTHON|PERL|RUBY|RUST|LESS|TERM)",
    "^GO(FLAGS|PATH|ROOT|ENV|TOOLCHAIN|PROXY|BIN|CACHE|MODCACHE|PRIVATE|NOSUMDB|INSECURE|EXPERIMENT|DEBUG|WORK)$",
    "_PROXY$",
    "^_JAVA_OPTIONS$",
    "^(LUA|PYTEST|DOTNET|CORECLR|COMPLUS|COREHOST|R|ERL|ELIXIR|MIX|JULIA|DENO|BUN|PNPM|COMPOSER|PHP|TCL|CLASSPATH|HG|CONDA|PIPENV|POETRY|VIRTUAL_ENV|MAVEN|GRADLE|SBT|ANT|KOTLIN|SCALA|DART|FLUTTER|SWIFT|NIX)_",
    "_OPTS$",
    "^(PHPRC|AWKPATH|AWKLIBPATH|TAR_OPTIONS|GZIP|ZIPOPT|UNZIP|UNZIPOPT|XZ_OPT|XZ_DEFAULTS|BZIP2|BZIP|ZSTD_CLEVEL|GREP_OPTIONS|MANOPT|MANPATH|VIMINIT|EXINIT|MYVIMRC|VIMRUNTIME|GVIMINIT|INPUTRC|RSYNC_RSH|RSYNC_CONNECT_PROG|CVS_RSH|SVN_EDITOR|SVN_SSH|CURL_HOME|WGETRC|HGRCPATH|TCLLIBPATH|R_PROFILE|R_ENVIRON|SYSTEMD_PAGER|SYSTEMD_EDITOR|DIFF_OPTIONS|SDKMAN_DIR)$",
    "^(BASH_ENV|ENV|PROMPT_COMMAND|PS[0-4]|SHELLOPTS|BASHOPTS|PATH|IFS|CDPATH|GLOBIGNORE|HISTFILE|HOME|SHELL|ZDOTDIR|FPATH)$",
    "^(GCONV_PATH|HOSTALIASES|LOCALDOMAIN|RES_OPTIONS|LOCPATH|NLSPATH|TMPDIR|TMP|TEMP)$",
    "^(EDITOR|VISUAL|PAGER|MANPAGER|BROWSER|SUDO_ASKPASS|SSH_ASKPASS|CLASSPATH|CURL_CA_BUNDLE|REQUESTS_CA_BUNDLE)$",
    "^(CC|CXX|CPP|AR|MAKEFLAGS|MAKE|CFLAGS|CXXFLAGS|LDFLAGS|KUBECONFIG|DOCKER_HOST|DOCKER_CONFIG)$",
    // bash(1) FCEDIT (the editor `fc` runs); zsh(1) NULLCMD/READNULLCMD; groff(1) GROFF_COMMAND_PREFIX and the
    // GROFF_* search paths, man(1) MANROFFOPT/MANROFFSEQ (options and preprocessors for troff); systemd's
    // SYSTEMD_LESS (options for its pager).
    "^(FCEDIT|NULLCMD|READNULLCMD|MANROFFOPT|MANROFFSEQ|SYSTEMD_LESS|EDITOR_CMD)$",
    "^(GROFF|TROFF)_",
  ].join("|"),
  "i",
);
/** Selects behaviour, loads no code: the one NODE_* name an agent may be allowed to set. */
const HOOK_EXCEPTIONS = new Set(["NODE_ENV"]);

/** True for names that make a program load code or run commands (LD_PRELOAD, NODE_OPTIONS, GIT_*, …). */
export function isHookName(name: string): boolean {
  return HOOK_NAME.test(name) && !HOOK_EXCEPTIONS.has(name);
}

/** Problems with a policy's env.fromAgent list, one per offending entry; empty when the list is fine. */
export function validateFromAgentList(names: readonly string[]): { index: number; message: string }[] {
  const problems: { index: number; message: string }[] = [];
  for (const [index, name] of names.entries()) {
    if (!ENV_NAME.test(name))
      problems.push({ index, message: `${JSON.stringify(name)} is not a variable name` });
    else if (isHookName(name)) {
      problems.push({
        index,
        message: `${name} lets whoever sets it run code or redirect the program; an agent may never set it`,
      });
    }
  }
  return problems;
}

export interface ChildEnvOptions {
  serverEnv: NodeJS.ProcessEnv;
  /** Server variables to hand on (secret-looking names are dropped unless in passSecrets). */
  pass: readonly string[];
  /** Secret-looking server variables the person explicitly hands on. */
  passSecrets: readonly string[];
  /** The only names the agent may set. */
  fromAgent: readonly string[];
  /** What the agent asked to set, or undefined. */
  agentEnv: Record<string, string> | undefined;
  /** The policy's env.set: variables the person fixed (validated at load). */
  set: Readonly<Record<string, string>>;
  /** The terminal type of the pane; always set as TERM. */
  term: string;
}

/**
 * One variable the agent asks to set: an env.fromAgent name, never a hook name or one the person fixed (env.set,
 * the pager defaults), a string without NUL within MAX_ENV_VALUE_BYTES. Returns the value; throws ENV_NOT_ALLOWED,
 * INVALID_ARGUMENT or LIMIT_EXCEEDED.
 */
export function checkAgentVariable(
  name: string,
  value: unknown,
  opts: { fromAgent: readonly string[]; set: Readonly<Record<string, string>> },
): string {
  if (!ENV_NAME.test(name)) {
    throw new CcmuxError("INVALID_ARGUMENT", "an environment variable name is malformed", { data: { name } });
  }
  // Security: the agent never overrides what the person fixed (env.set) or the pager defaults (GIT_PAGER=sh -c …).
  const fixed = Object.hasOwn(opts.set, name) || Object.hasOwn(PANE_ENV_DEFAULTS, name);
  if (fixed || isHookName(name) || !opts.fromAgent.includes(name)) {
    throw new CcmuxError("ENV_NOT_ALLOWED", `the agent may not set ${name}`, { data: { name } });
  }
  // Security: NUL would truncate the value in execve; the audit log would show a different value.
  if (typeof value !== "string" || value.includes("\0")) {
    throw new CcmuxError("INVALID_ARGUMENT", `the value of ${name} is not a string without NUL`, {
      data: { name },
    });
  }
  if (Buffer.byteLength(value, "utf8") > MAX_ENV_VALUE_BYTES) {
    throw new CcmuxError(
      "LIMIT_EXCEEDED",
      `the value of ${name} is longer than ${MAX_ENV_VALUE_BYTES} bytes`,
      {
        data: { name },
      },
    );
  }
  return value;
}

/**
 * The environment a child gets, each layer over the one before: `pass` names present on the server
 * (secret-looking ones only via `passSecrets`); the agent's variables (only `fromAgent` names, never hook
 * names, never a fixed name); the pager defaults (PANE_ENV_DEFAULTS) less the names in `set`; `set`; TERM.
 * So env.set is the one way to change a default, and nothing the agent sends changes a fixed variable.
 * checkSpawn then adds AGENT_PANE_ENV for agent panes. Throws ENV_NOT_ALLOWED, INVALID_ARGUMENT or
 * LIMIT_EXCEEDED; error data names the variable, never its value.
 */
export function buildChildEnv(opts: ChildEnvOptions): Record<string, string> {
  const entries = new Map<string, string>();
  for (const name of new Set([...opts.pass, ...opts.passSecrets])) {
    // Security: ANTHROPIC_API_KEY in env.pass by habit must not reach a program the agent chose.
    if (isSecretName(name) && !opts.passSecrets.includes(name)) continue;
    const value = opts.serverEnv[name];
    // Security: `APP_BACKEND=postgres://app:hunter2@db/x` carries a password under an innocent name.
    if (value !== undefined && isSecretValue(value) && !opts.passSecrets.includes(name)) continue;
    if (value !== undefined && !value.includes("\0")) entries.set(name, value);
  }
  for (const [name, value] of Object.entries(opts.agentEnv ?? {})) {
    entries.set(name, checkAgentVariable(name, value, opts));
  }
  for (const [name, value] of Object.entries({ ...PANE_ENV_DEFAULTS, ...opts.set })) entries.set(name, value);
  entries.set("TERM", opts.term);
  // Object.fromEntries defines own properties, so a variable named __proto__ stays a plain entry.
  return Object.fromEntries(entries);
}
