import { describe, expect, it } from "vitest";
import { buildChildEnv, isHookName } from "../../src/validation/env-filter.js";
import { isSecretName, isSecretValue } from "../../src/validation/secret-names.js";

const PAGERS = { PAGER: "cat", GIT_PAGER: "cat" };

describe("secret variables: by name and by value", () => {
  it.each([
    "MYSQL_PWD",
    "SLACK_WEBHOOK_URL",
    "DISCORD_WEBHOOK",
    "DATABASE_URL",
    "REDIS_URL",
    "MONGODB_URI",
    "CELERY_BROKER_URL",
    "SENTRY_DSN",
    "APP_DSN",
    "AZURE_STORAGE_CONNECTION_STRING",
    "DB_CONN_STR",
    "ANALYTICS_DATABASE_URL",
    "OP_SESSION_my",
    "BW_SESSION",
    "CI_JOB_JWT",
    "GPG_PASSPHRASE",
    "LDAP_BIND_PW",
    "PGPASSFILE",
  ])("%s is a secret name", (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each(["PATH", "HOME", "PWD", "OLDPWD", "LANG", "TZ", "USER", "SHELL", "DISPLAY", "NODE_ENV", "CI"])(
    "%s is not",
    (name) => {
      expect(isSecretName(name)).toBe(false);
    },
  );

  it("a connection string with a password is a secret value, whatever its name", () => {
    expect(isSecretValue("postgres://app:hunter2@db.internal:5432/app")).toBe(true);
    expect(isSecretValue("redis://:s3cret@cache:6379/0")).toBe(true);
    expect(isSecretValue("amqps://u:p@mq/vhost")).toBe(true);
    expect(isSecretValue("https://example.com/path")).toBe(false);
    expect(isSecretValue("postgres://app@db/app")).toBe(false);
    expect(isSecretValue("/usr/bin:/bin")).toBe(false);
  });

  it("a variable listed in env.pass whose value is a connection string with a password is not passed", () => {
    const env = buildChildEnv({
      serverEnv: { PATH: "/bin", APP_BACKEND: "postgres://app:hunter2@db/x", PLAIN: "postgres://db/x" },
      pass: ["PATH", "APP_BACKEND", "PLAIN"],
      passSecrets: [],
      fromAgent: [],
      agentEnv: undefined,
      set: {},
      term: "xterm-256color",
    });
    expect(env).toEqual({ PATH: "/bin", PLAIN: "postgres://db/x", ...PAGERS, TERM: "xterm-256color" });
    const passed = buildChildEnv({
      serverEnv: { APP_BACKEND: "postgres://app:hunter2@db/x" },
      pass: [],
      passSecrets: ["APP_BACKEND"],
      fromAgent: [],
      agentEnv: undefined,
      set: {},
      term: "xterm-256color",
    });
    expect(passed.APP_BACKEND).toBe("postgres://app:hunter2@db/x");
  });
});

describe("loader and interpreter hooks an agent may never set", () => {
  it.each([
    "LUA_INIT",
    "LUA_INIT_5_4",
    "LUA_PATH",
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "DOTNET_STARTUP_HOOKS",
    "DOTNET_ADDITIONAL_DEPS",
    "CORECLR_PROFILER_PATH",
    "COMPlus_EnableDiagnostics",
    "PERL5OPT",
    "PERL5LIB",
    "RUBYOPT",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_KEY_0",
    "GIT_CONFIG_VALUE_0",
    "GIT_CONFIG_PARAMETERS",
    "GIT_SSH_COMMAND",
    "PYTHONSTARTUP",
    "PYTHONPATH",
    "NODE_PATH",
    "NODE_OPTIONS",
    "LD_AUDIT",
    "LD_PRELOAD",
    "PHPRC",
    "PHP_INI_SCAN_DIR",
    "R_PROFILE_USER",
    "ERL_AFLAGS",
    "AWKPATH",
    "AWKLIBPATH",
    "TAR_OPTIONS",
    "GZIP",
    "ZIPOPT",
    "UNZIP",
    "LESSOPEN",
    "MANOPT",
    "VIMINIT",
    "EXINIT",
    "INPUTRC",
    "RSYNC_RSH",
    "MAVEN_OPTS",
    "GRADLE_OPTS",
    "HGRCPATH",
    "WGETRC",
    "CURL_HOME",
    "FCEDIT",
    "GROFF_COMMAND_PREFIX",
    "MANROFFOPT",
    "SYSTEMD_LESS",
    "READNULLCMD",
  ])("%s is a hook", (name) => {
    expect(isHookName(name)).toBe(true);
  });

  it.each(["NODE_ENV", "CI", "GREETING", "DEBUG", "LOG_LEVEL"])("%s is not", (name) => {
    expect(isHookName(name)).toBe(false);
  });
});
