import { describe, expect, it } from "vitest";
import { buildChildEnv, isHookName, validateFromAgentList } from "../../src/validation/env-filter.js";
import { isSecretName } from "../../src/validation/secret-names.js";
import { codeOf } from "../fixtures/validation-tree.js";

const serverEnv = {
  PATH: "/usr/bin",
  HOME: "/home/u",
  LANG: "C.UTF-8",
  ANTHROPIC_API_KEY: "sk-ant-secret",
  AWS_SECRET_ACCESS_KEY: "aws-secret",
  GITHUB_TOKEN: "ghp_secret",
  DB_PASSWORD: "hunter2",
  SSH_AUTH_SOCK: "/tmp/agent.sock",
  UNLISTED: "x",
};

const PAGERS = { PAGER: "cat", GIT_PAGER: "cat" };

function build(over: Partial<Parameters<typeof buildChildEnv>[0]> = {}) {
  return buildChildEnv({
    serverEnv,
    pass: ["PATH", "HOME", "LANG", "MISSING"],
    passSecrets: [],
    fromAgent: [],
    agentEnv: undefined,
    set: {},
    term: "xterm-256color",
    ...over,
  });
}

describe("isSecretName", () => {
  it.each([
    ["ANTHROPIC_API_KEY"],
    ["OPENAI_API_KEY"],
    ["AWS_SECRET_ACCESS_KEY"],
    ["AWS_PROFILE"],
    ["AZURE_CLIENT_ID"],
    ["GOOGLE_APPLICATION_CREDENTIALS"],
    ["GITHUB_TOKEN"],
    ["GH_TOKEN"],
    ["NPM_TOKEN"],
    ["STRIPE_API_KEY"],
    ["SIGNING_KEYS"],
    ["CLIENT_SECRET"],
    ["DB_PASSWORD"],
    ["MYSQL_PWD_PASSWD"],
    ["GITLAB_PAT"],
    ["SSH_AUTH_SOCK"],
    ["github_token"],
    ["SENTRY_DSN"],
    ["DATABASE_URL"],
  ])("%s is a secret name", (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    ["PATH"],
    ["HOME"],
    ["LANG"],
    ["TERM"],
    ["KEYBOARD_LAYOUT"],
    ["MONKEY"],
    ["TOKENIZERS_PARALLELISM"],
    ["GIT_AUTHOR_NAME"],
  ])("%s is not a secret name", (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});

describe("isHookName", () => {
  it.each([
    ["LD_PRELOAD"],
    ["LD_LIBRARY_PATH"],
    ["DYLD_INSERT_LIBRARIES"],
    ["NODE_OPTIONS"],
    ["NODE_PATH"],
    ["BASH_ENV"],
    ["ENV"],
    ["PROMPT_COMMAND"],
    ["PS4"],
    ["SHELLOPTS"],
    ["PATH"],
    ["IFS"],
    ["PYTHONSTARTUP"],
    ["PYTHONPATH"],
    ["PERL5OPT"],
    ["RUBYOPT"],
    ["GIT_SSH_COMMAND"],
    ["GIT_PAGER"],
    ["JAVA_TOOL_OPTIONS"],
    ["_JAVA_OPTIONS"],
    ["HOME"],
    ["TERM"],
    ["GCONV_PATH"],
    ["TMPDIR"],
    ["EDITOR"],
    ["PAGER"],
    ["LESSOPEN"],
    ["SSL_CERT_FILE"],
    ["HTTPS_PROXY"],
    ["http_proxy"],
    ["GLIBC_TUNABLES"],
    ["ld_preload"],
  ])("%s is a hook name", (name) => {
    expect(isHookName(name)).toBe(true);
  });

  it.each([["NODE_ENV"], ["DEBUG"], ["CI"], ["FORCE_COLOR"], ["GITHUB_SHA"], ["GOOGLE_CLOUD_PROJECT"]])(
    "%s is not a hook name",
    (name) => {
      expect(isHookName(name)).toBe(false);
    },
  );
});

describe("buildChildEnv", () => {
  it("passes only listed names present on the server, and always sets TERM", () => {
    expect(build()).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/u",
      LANG: "C.UTF-8",
      ...PAGERS,
      TERM: "xterm-256color",
    });
  });

  it("secret names are dropped even when listed in pass", () => {
    const env = build({
      pass: [
        "PATH",
        "ANTHROPIC_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN",
        "DB_PASSWORD",
        "SSH_AUTH_SOCK",
      ],
    });
    expect(env).toEqual({ PATH: "/usr/bin", ...PAGERS, TERM: "xterm-256color" });
  });

  it("a secret listed in passSecrets is passed", () => {
    const env = build({ pass: ["PATH"], passSecrets: ["GITHUB_TOKEN"] });
    expect(env).toEqual({ PATH: "/usr/bin", GITHUB_TOKEN: "ghp_secret", ...PAGERS, TERM: "xterm-256color" });
  });

  it("TERM from the server or the agent is replaced by the pane's terminal type", () => {
    const env = build({ serverEnv: { ...serverEnv, TERM: "dumb" }, pass: ["TERM"] });
    expect(env.TERM).toBe("xterm-256color");
  });

  it("the agent may set names in fromAgent only", () => {
    expect(build({ fromAgent: ["NODE_ENV"], agentEnv: { NODE_ENV: "test" } }).NODE_ENV).toBe("test");
    expect(codeOf(() => build({ fromAgent: ["NODE_ENV"], agentEnv: { DEBUG: "1" } }))).toBe(
      "ENV_NOT_ALLOWED",
    );
  });

  it.each([["LD_PRELOAD"], ["NODE_OPTIONS"], ["BASH_ENV"], ["GIT_SSH_COMMAND"], ["PATH"]])(
    "env hook %s is refused even when listed in fromAgent",
    (name) => {
      expect(codeOf(() => build({ fromAgent: [name], agentEnv: { [name]: "x" } }))).toBe("ENV_NOT_ALLOWED");
    },
  );

  it("malformed names and NUL values are INVALID_ARGUMENT, oversize values LIMIT_EXCEEDED", () => {
    expect(codeOf(() => build({ fromAgent: ["A"], agentEnv: { "A=B": "x" } }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => build({ fromAgent: ["A"], agentEnv: { A: "x\0LD_PRELOAD=/x" } }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(codeOf(() => build({ fromAgent: ["A"], agentEnv: { A: "x".repeat(40_000) } }))).toBe(
      "LIMIT_EXCEEDED",
    );
  });

  it("a variable named __proto__ stays a plain own entry", () => {
    const agentEnv = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
    const env = build({ fromAgent: ["__proto__"], agentEnv });
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    expect(Object.hasOwn(env, "__proto__")).toBe(true);
  });

  it("the refusal names the variable, never its value", () => {
    try {
      build({ fromAgent: [], agentEnv: { SOME_NAME: "sk-value-123" } });
      expect.unreachable();
    } catch (error) {
      expect(JSON.stringify({ m: String(error), d: (error as { data: unknown }).data })).not.toContain(
        "sk-value-123",
      );
    }
  });
});

describe("validateFromAgentList", () => {
  it("lists each hook name with its index", () => {
    const problems = validateFromAgentList(["NODE_ENV", "LD_PRELOAD", "DEBUG", "NODE_OPTIONS"]);
    expect(problems.map((p) => p.index)).toEqual([1, 3]);
    expect(problems[0]?.message).toContain("LD_PRELOAD");
  });

  it("accepts harmless names", () => {
    expect(validateFromAgentList(["NODE_ENV", "DEBUG", "CI"])).toEqual([]);
  });
});
