/** Well-known credential shapes, redacted wherever they appear in an audited string. */
const SECRET_SHAPES: readonly RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g, // Anthropic API keys
  /sk-(?:proj-)?[A-Za-z0-9_-]{20,}/g, // OpenAI-style keys
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, // AWS access key ids
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{40,}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, // Slack tokens
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

export const REDACTED = "[REDACTED]";

/** Values shorter than this are not treated as secrets to search for (too many false hits). */
const MIN_SECRET_VALUE_LENGTH = 6;

export interface RedactorOptions {
  /** Secret values known to the server (e.g. the values of its secret-named environment variables). */
  secretValues: readonly string[];
  /** True for environment variable names whose values must never be logged. */
  isSecretName: (name: string) => boolean;
}

/**
 * Removes secrets from what is written to the audit log: known secret values, common credential shapes, and
 * the values of secret-named keys in `env` objects. Everything else (including text the agent typed) is kept.
 */
export class Redactor {
  private readonly values: readonly string[];

  constructor(private readonly options: RedactorOptions) {
    this.values = [
      ...new Set(options.secretValues.filter((value) => value.length >= MIN_SECRET_VALUE_LENGTH)),
    ].sort((a, b) => b.length - a.length);
  }

  redactString(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
    return out;
  }

  /** A deep copy of `value` with every string redacted and secret-named `env` entries blanked. */
  redact(value: unknown, key?: string): unknown {
    if (typeof value === "string") return this.redactString(value);
    if (Array.isArray(value)) return value.map((item) => this.redact(item));
    if (value !== null && typeof value === "object") {
      // Object.fromEntries defines keys as data: an argument named `__proto__` is logged, not swallowed.
      return Object.fromEntries(
        Object.entries(value).map(([name, item]) => [
          name,
          key === "env" && this.options.isSecretName(name) ? REDACTED : this.redact(item, name),
        ]),
      );
    }
    return value;
  }
}
