import { CcmuxError } from "../errors.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Largest value an agent may set for one variable, in UTF-8 bytes. */
const MAX_AGENT_VALUE_BYTES = 32 * 1024;

// Security: names that usually hold credentials (ANTHROPIC_API_KEY, AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, …).
const SECRET_NAME = new RegExp(
  [
    "(^|_)(API_?)?KEYS?($|_)",
    "APIKEY",
    "(^|_)TOKENS?($|_)",
    "TOKEN$",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "(^|_)PAT($|_)",
    "(^|_)AUTH($|_)",
    "COOKIE",
    "(^|_)DSN$",
    "^DATABASE_URL$",
    "^(ANTHROPIC|OPENAI|AWS|AZURE|GITHUB|GH|NPM|CLAUDE|HF|HUGGING_?FACE|GCP|VAULT)_",
    "^SSH_AUTH_SOCK$",
    "^GPG_AGENT_INFO$",
    "^KRB5CCNAME$",
  ].join("|"),
  "i",
);

// Security: variables that make a program load code, read config or run commands chosen by whoever sets them
// (LD_PRELOAD, NODE_OPTIONS=--require, BASH_ENV, GIT_SSH_COMMAND, PAGER, …). A denylist is never complete:
// env.fromAgent is the real gate; this stops the known footguns.
const HOOK_NAME = new RegExp(
  [
    "^(LD|DYLD|GIT|NODE|GEM|BUNDLE|NPM_CONFIG|YARN|PIP|UV|CARGO|GO|CGO|XDG|OPENSSL|SSL|MALLOC|GLIBC|BASH_FUNC|JAVA|JDK_JAVA)_",
    "^(PYTHON|PERL|RUBY|RUST|LESS|TERM)",
    "^GO(FLAGS|PATH|ROOT|ENV|TOOLCHAIN|PROXY|BIN|CACHE|MODCACHE|PRIVATE|NOSUMDB|INSECURE|EXPERIMENT|DEBUG|WORK)$",
    "_PROXY$",
    "^_JAVA_OPTIONS$",
    "^(BASH_ENV|ENV|PROMPT_COMMAND|PS[0-4]|SHELLOPTS|BASHOPTS|PATH|IFS|CDPATH|GLOBIGNORE|HISTFILE|HOME|SHELL|ZDOTDIR|FPATH)$",
    "^(GCONV_PATH|HOSTALIASES|LOCALDOMAIN|RES_OPTIONS|LOCPATH|NLSPATH|TMPDIR|TMP|TEMP)$",
    "^(EDITOR|VISUAL|PAGER|MANPAGER|BROWSER|SUDO_ASKPASS|SSH_ASKPASS|CLASSPATH|CURL_CA_BUNDLE|REQUESTS_CA_BUNDLE)$",
    "^(CC|CXX|CPP|AR|MAKEFLAGS|MAKE|CFLAGS|CXXFLAGS|LDFLAGS|KUBECONFIG|DOCKER_HOST|DOCKER_CONFIG)$",
  ].join("|"),
  "i",
);
/** Selects behaviour, loads no code: the one NODE_* name an agent may be allowed to set. */
const HOOK_EXCEPTIONS = new Set(["NODE_ENV"]);

/** True for names that usually hold credentials; such variables are not passed unless in env.passSecrets. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

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
  /** The terminal type of the pane; always set as TERM. */
  term: string;
}

function checkAgentVariable(name: string, value: unknown, fromAgent: readonly string[]): string {
  if (!ENV_NAME.test(name)) {
    throw new CcmuxError("INVALID_ARGUMENT", "an environment variable name is malformed", { data: { name } });
  }
  if (isHookName(name) || !fromAgent.includes(name)) {
    throw new CcmuxError("ENV_NOT_ALLOWED", `the agent may not set ${name}`, { data: { name } });
  }
  // Security: NUL would truncate the value in execve; the audit log would show a different value.
  if (typeof value !== "string" || value.includes("\0")) {
    throw new CcmuxError("INVALID_ARGUMENT", `the value of ${name} is not a string without NUL`, {
      data: { name },
    });
  }
  if (Buffer.byteLength(value, "utf8") > MAX_AGENT_VALUE_BYTES) {
    throw new CcmuxError(
      "LIMIT_EXCEEDED",
      `the value of ${name} is longer than ${MAX_AGENT_VALUE_BYTES} bytes`,
      {
        data: { name },
      },
    );
  }
  return value;
}

/**
 * The environment a child gets: `pass` names present on the server (secret-looking ones only via
 * `passSecrets`), then the agent's variables (only `fromAgent` names, never hook names), then TERM.
 * Throws ENV_NOT_ALLOWED, INVALID_ARGUMENT or LIMIT_EXCEEDED; error data names the variable, never its value.
 */
export function buildChildEnv(opts: ChildEnvOptions): Record<string, string> {
  const entries = new Map<string, string>();
  for (const name of new Set([...opts.pass, ...opts.passSecrets])) {
    // Security: ANTHROPIC_API_KEY in env.pass by habit must not reach a program the agent chose.
    if (isSecretName(name) && !opts.passSecrets.includes(name)) continue;
    const value = opts.serverEnv[name];
    if (value !== undefined && !value.includes("\0")) entries.set(name, value);
  }
  for (const [name, value] of Object.entries(opts.agentEnv ?? {})) {
    entries.set(name, checkAgentVariable(name, value, opts.fromAgent));
  }
  entries.set("TERM", opts.term);
  // Object.fromEntries defines own properties, so a variable named __proto__ stays a plain entry.
  return Object.fromEntries(entries);
}
