import { describe, expect, it } from "vitest";
import { REDACTED } from "../../src/audit/redact.js";
import { auditRedactor } from "../../src/cli/audit-redactor.js";
import { isCredentialName, isSecretName } from "../../src/validation/secret-names.js";

/** Variables Claude Code sets or reads that hold paths, switches and numbers (its environment variable reference). */
const CLAUDE_SETTINGS = [
  "CLAUDE_PROJECT_DIR",
  "CLAUDECODE",
  "CLAUDE_CODE_ENTRYPOINT",
  "CLAUDE_CODE_SSE_PORT",
  "CLAUDE_ENV_FILE",
  "CLAUDE_CONFIG_DIR",
  "CLAUDE_CODE_USE_BEDROCK",
  "CLAUDE_CODE_MAX_OUTPUT_TOKENS",
  "MAX_THINKING_TOKENS",
  "MAX_MCP_OUTPUT_TOKENS",
  "CLAUDE_CODE_API_KEY_HELPER_TTL_MS",
  "CLAUDE_CODE_GIT_BASH_PATH",
  "ANTHROPIC_BASE_URL",
  "ANTHROPIC_MODEL",
];

/** Variables that hold credentials, Claude Code's own among them. */
const CREDENTIALS = [
  "CLAUDE_CODE_OAUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_REFRESH_TOKEN",
  "CLAUDE_CODE_SESSION_ACCESS_TOKEN",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "ANTHROPIC_CUSTOM_HEADERS",
  "ANTHROPIC_FOUNDRY_API_KEY",
  "AWS_BEARER_TOKEN_BEDROCK",
  "AWS_SECRET_ACCESS_KEY",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "GITHUB_TOKEN",
  "DB_PASSWORD",
  "DATABASE_URL",
  "MY_SERVICE_TOKEN",
];

describe("secret names: the audit log redacts credentials, not a vendor's paths", () => {
  it.each(CLAUDE_SETTINGS)("%s is no credential: its value stays in the audit log", (name) => {
    expect(isCredentialName(name)).toBe(false);
  });

  it.each(CREDENTIALS)("%s is a credential: redacted in the log and never inherited by panes", (name) => {
    expect(isCredentialName(name)).toBe(true);
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    "CLAUDE_PROJECT_DIR",
    "CLAUDE_CONFIG_DIR",
    "AWS_PROFILE",
    "AZURE_CLIENT_ID",
    "SSH_AUTH_SOCK",
    "PGPASSFILE",
  ])(
    "%s still does not reach panes unless listed in env.passSecrets (vendor namespace or a credential's address)",
    (name) => {
      expect(isSecretName(name)).toBe(true);
      expect(isCredentialName(name)).toBe(false);
    },
  );
});

describe("auditRedactor under the variables Claude Code sets", () => {
  const project = "/home/dev/work/my-project";
  const token = "oauth-9f2c41d7e5b8a6c3-not-a-known-shape";
  const redactor = auditRedactor(
    {
      CLAUDE_PROJECT_DIR: project,
      CLAUDECODE: "1",
      CLAUDE_CODE_ENTRYPOINT: "cli",
      CLAUDE_CONFIG_DIR: "/home/dev/.claude",
      CLAUDE_CODE_MAX_OUTPUT_TOKENS: "128000",
      CLAUDE_CODE_OAUTH_TOKEN: token,
      APP_BACKEND: "postgres://app:hunter2-pw@db.internal/app",
    },
    { env: { set: {} } as never },
  );

  it("keeps the project path, the config dir and numbers, and redacts the token", () => {
    const line = `cd ${project} && cat /home/dev/.claude/x --max 128000 ${token}`;
    expect(redactor.redactString(line)).toBe(
      `cd ${project} && cat /home/dev/.claude/x --max 128000 ${REDACTED}`,
    );
  });

  it("a connection string with a password under an innocent name is redacted as a value", () => {
    expect(redactor.redactString("psql postgres://app:hunter2-pw@db.internal/app")).toBe(`psql ${REDACTED}`);
  });

  it("control: the same path under a credential name is redacted (the old fate of every CLAUDE_* value)", () => {
    const strict = auditRedactor({ PROJECT_DIR_TOKEN: project }, { env: { set: {} } as never });
    expect(strict.redactString(`cd ${project}`)).toBe(`cd ${REDACTED}`);
  });
});
