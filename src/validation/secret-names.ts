/**
 * Which environment variables hold secrets, in two strengths that serve two concerns:
 * - isCredentialName: the value IS a credential (a token, key, password, a URL or headers that embed one).
 *   The audit log redacts such values wherever they appear, and panes never inherit them.
 * - isSecretName: isCredentialName, or a name that grants access to credentials held elsewhere (a vendor's
 *   namespace, an agent socket, a ticket cache, a password file). Panes never inherit these unless the person
 *   lists them in env.passSecrets; the audit log keeps their values, which are mostly paths and settings
 *   (CLAUDE_PROJECT_DIR, CLAUDE_CONFIG_DIR, AWS_PROFILE), not secrets.
 */

// Security: names that hold credentials (ANTHROPIC_API_KEY, AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, …), by the parts
// of the name that say so. Sources: the provider prefixes from GitHub's secret-scanning partner list; MySQL
// Reference Manual §6.2 "Environment Variables" (MYSQL_PWD); PostgreSQL libpq §34.15 "Environment Variables"
// (PGPASSWORD); redis-cli docs (REDISCLI_AUTH); Slack/Discord/Teams "incoming webhooks" (the URL is the
// credential); 12-factor / Heroku "DATABASE_URL" and Sentry "DSN" conventions (connection strings embed
// user:password); 1Password CLI (OP_SESSION_*), Bitwarden CLI (BW_SESSION); Vault (VAULT_TOKEN); GitLab CI
// (CI_JOB_JWT); Claude Code's environment variable reference (ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN,
// CLAUDE_CODE_OAUTH_REFRESH_TOKEN, CLAUDE_CODE_SESSION_ACCESS_TOKEN, AWS_BEARER_TOKEN_BEDROCK,
// ANTHROPIC_CUSTOM_HEADERS: "Name: Value" headers, an Authorization header among them) and OpenTelemetry's
// OTEL_EXPORTER_OTLP_HEADERS (the collector's API key).
const CREDENTIAL_NAME = new RegExp(
  [
    "(^|_)(API_?)?KEYS?($|_)",
    "APIKEY",
    "(^|_)TOKENS?($|_)",
    "TOKEN$",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "_PWD$",
    "(^|_)PW$",
    // DB_PASS, SMTP_PASS, REDIS_PASS (a reviewer's find: DB_PASS reached panes and the log).
    "(^|_)PASS$",
    "CREDENTIAL",
    "(^|_)PAT($|_)",
    "(^|_)AUTH($|_)",
    "(^|_)BEARER($|_)",
    "COOKIE",
    "(^|_)JWT($|_)",
    "WEBHOOK",
    "(^|_)HEADERS$",
    "(^|_)DSN$",
    "(^|_)(CONN(ECTION)?_?STR(ING)?|CONNECTION_URI)$",
    "^(DATABASE|DB|[A-Z0-9]+_DATABASE|REDIS|REDISCLOUD|REDISTOGO|MONGO(DB)?|MONGOLAB|MONGOHQ|POSTGRES(QL)?|PG|MYSQL|MARIADB|JAWSDB|CLEARDB|AMQP|RABBITMQ|CLOUDAMQP|CELERY_BROKER|CELERY_RESULT_BACKEND|BROKER|CACHE|ELASTICSEARCH|BONSAI|SEARCHBOX|KAFKA|NATS|MEMCACHE[DS]?|CLICKHOUSE|NEO4J|COUCHDB|CASSANDRA|SQLALCHEMY_DATABASE|SMTP|MAIL|EMAIL|FTP|SFTP|LDAP|PROXY)_(URL|URI)$",
    "^OP_SESSION_",
    "^BW_SESSION$",
  ].join("|"),
  "i",
);

/**
 * Counts, durations and ports whose names contain TOKEN or KEY without holding one: Claude Code's
 * CLAUDE_CODE_MAX_OUTPUT_TOKENS, MAX_THINKING_TOKENS, MAX_MCP_OUTPUT_TOKENS (numbers of model tokens) and
 * CLAUDE_CODE_API_KEY_HELPER_TTL_MS (milliseconds). Their values are numbers that would otherwise be redacted
 * wherever the same digits appear in the audit log.
 */
const SETTING_NAME = /(^|_)MAX_([A-Z0-9]+_)*TOKENS$|_(MS|TTL|SECONDS|TIMEOUT|PORT)$/i;

// Security: names whose value points at credentials kept elsewhere: an agent's socket (SSH_AUTH_SOCK,
// GPG_AGENT_INFO), a Kerberos ticket cache (KRB5CCNAME), password files (PGPASSFILE, NETRC, MYSQL_HISTFILE).
// A pane that inherits one reaches the credential; the value itself (a path) is no secret.
const ADDRESS_NAME = /^(SSH_AUTH_SOCK|GPG_AGENT_INFO|KRB5CCNAME|PGPASSFILE|NETRC|MYSQL_HISTFILE)$/i;

// Security: a vendor's namespace. Programs read more credentials from it than any list of parts foresees
// (AZURE_CLIENT_ID with its certificate, AWS_PROFILE choosing stored keys, GOOGLE_* service accounts), so panes
// inherit none of it unless the person lists the name in env.passSecrets. Only panes: CLAUDE_PROJECT_DIR,
// CLAUDE_CONFIG_DIR and the like are paths, and the audit log keeps them.
const VENDOR_NAME =
  /^(ANTHROPIC|OPENAI|AWS|AZURE|GITHUB|GH|GITLAB|NPM|CLAUDE|HF|HUGGING_?FACE|GCP|GOOGLE|VAULT|SLACK|DISCORD|STRIPE|TWILIO|SENDGRID|MAILGUN|DIGITALOCEAN|CLOUDFLARE|HEROKU|DOCKERHUB)_/i;

// Security: a value that carries a password, whatever its name: `scheme://user:password@host`
// (RFC 3986 §3.2.1 userinfo; libpq, SQLAlchemy, redis, amqp and mongodb URLs all take this form).
const SECRET_VALUE = /[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:([^\s/@]+)@/i;

/**
 * True for names whose value is a credential (ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN, DB_PASSWORD,
 * DATABASE_URL, …): the audit log redacts the value wherever it appears. False for CLAUDE_PROJECT_DIR,
 * CLAUDE_CODE_ENTRYPOINT, CLAUDE_CODE_MAX_OUTPUT_TOKENS, SSH_AUTH_SOCK.
 */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && !SETTING_NAME.test(name) && !ADDRESS_NAME.test(name);
}

/**
 * True for names a pane must not inherit unless listed in env.passSecrets: credentials (isCredentialName), names
 * that point at credentials (SSH_AUTH_SOCK, PGPASSFILE, …) and vendors' namespaces (ANTHROPIC_*, AWS_*, CLAUDE_*, …).
 */
export function isSecretName(name: string): boolean {
  return isCredentialName(name) || ADDRESS_NAME.test(name) || VENDOR_NAME.test(name);
}

/** True for a value that embeds a password: `scheme://user:password@…` (a connection string). */
export function isSecretValue(value: string): boolean {
  return SECRET_VALUE.test(value);
}

/** The passwords of the connection strings in `value` (`hunter22` in `pg://app:hunter22@db`), also percent-decoded. */
export function urlPasswords(value: string): string[] {
  return [...value.matchAll(new RegExp(SECRET_VALUE.source, "gi"))].flatMap((match) => {
    const password = match[1] ?? "";
    let decoded = password;
    try {
      decoded = decodeURIComponent(password);
    } catch {}
    return [...new Set([password, decoded])];
  });
}
