import { createHash } from "node:crypto";
import { redactPem } from "./pem-redact.js";

/**
 * Well-known credential shapes, redacted wherever they appear in an audited string. Each matches the token
 * alone: it starts where a token can start (not inside another word) and stops at the first character the
 * token cannot hold, so redaction never takes text around a secret with it. Private-key blocks: pem-redact.ts.
 */
const SECRET_SHAPES: readonly RegExp[] = [
  /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{8,}/g, // Anthropic API keys
  /(?<![A-Za-z0-9_-])sk-(?:proj-)?[A-Za-z0-9_-]{20,}/g, // OpenAI-style keys
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, // AWS access key ids
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{40,}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, // Slack tokens
  /\bglpat-[A-Za-z0-9_-]{20,}/g, // GitLab personal access tokens
  /\bnpm_[A-Za-z0-9]{36}\b/g, // npm access tokens
  /\bhf_[A-Za-z]{30,}\b/g, // Hugging Face tokens
  /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, // Google API keys
  /\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,}\b/g, // Stripe secret and restricted keys
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g, // JSON Web Tokens (signed)
  // The password of a URL's userinfo (`postgres://app:hunter2@db`, RFC 3986 §3.2.1): scheme, user, host kept.
  /(?<=\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:)[^\s/@]+(?=@)/gi,
];

export const REDACTED = "[REDACTED]";

/** Values shorter than this are not treated as secrets to search for (too many false hits). */
const MIN_SECRET_VALUE_LENGTH = 6;
/** A secret's first characters from this many on are redacted where they appear cut short ("…"). */
const MIN_CUT_SECRET_LENGTH = 10;

/** Most `redacted` entries one record lists; the rest are counted. */
const MAX_LISTED = 32;
/** Longest field path listed (argument names are the agent's). */
const MAX_FIELD_PATH = 256;

export interface RedactorOptions {
  /** Secret values known to the server (e.g. the values of its secret-named environment variables). */
  secretValues: readonly string[];
  /** True for environment variable names whose values must never be logged. */
  isSecretName: (name: string) => boolean;
}

/**
 * One string redaction changed: where it was (a dotted path in the record, array indices as numbers), and
 * the original's length (UTF-16 code units) and SHA-256 (hex, over its UTF-8), so a reviewer holding a
 * candidate text can check it was what the agent sent.
 */
export interface RedactedString {
  field: string;
  length: number;
  sha256: string;
}

/**
 * Removes secrets from what is written to the audit log: known secret values, common credential shapes, the
 * body lines of private-key blocks, and the values of secret-named keys in `env` objects. Everything else
 * (including text the agent typed around a secret) is kept.
 */
export class Redactor {
  private readonly values: readonly string[];

  constructor(private readonly options: RedactorOptions) {
    this.values = [
      ...new Set(options.secretValues.filter((value) => value.length >= MIN_SECRET_VALUE_LENGTH)),
    ].sort((a, b) => b.length - a.length);
  }

  /** `text` without secrets; `found` are credential-shaped tokens seen elsewhere in the same record. */
  redactString(text: string, found: readonly string[] = []): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
    // Security: refusal reasons quote the agent's input cut short ("C-wJalrXUtnFEMI/K7MDENG/bPxRfiCY…"); a cut
    // secret no longer matches its value or its shape, so its leading characters are redacted as well.
    for (const value of [...this.values, ...found]) out = redactCutPrefix(out, value);
    return redactPem(out);
  }

  /** Credential-shaped tokens in the strings of `value` (names included): what a cut quote may begin with. */
  private shapedTokens(value: unknown): string[] {
    const found = new Set<string>();
    const stack: unknown[] = [value];
    while (stack.length > 0) {
      const item = stack.pop();
      if (typeof item === "string") {
        for (const shape of SECRET_SHAPES) for (const match of item.matchAll(shape)) found.add(match[0]);
      } else if (Array.isArray(item)) stack.push(...item);
      else if (item !== null && typeof item === "object") {
        for (const [name, entry] of Object.entries(item)) stack.push(name, entry);
      }
    }
    return [...found].filter((token) => token.length >= MIN_CUT_SECRET_LENGTH);
  }

  /** A deep copy of `value` with every string redacted and secret-named `env` entries blanked. */
  redact(value: unknown): unknown {
    return this.redactWithReport(value).value;
  }

  /**
   * Like `redact`, and lists every string it changed (at most MAX_LISTED, then `more` counts the rest).
   * `value` must be bounded in depth by the caller (the tool registry bounds agent input first).
   */
  redactWithReport(value: unknown): { value: unknown; changed: RedactedString[]; more: number } {
    const changed: RedactedString[] = [];
    let more = 0;
    const note = (field: string, original: string): void => {
      if (changed.length >= MAX_LISTED) {
        more += 1;
        return;
      }
      const sha256 = createHash("sha256").update(original, "utf8").digest("hex");
      changed.push({ field: field.slice(0, MAX_FIELD_PATH), length: original.length, sha256 });
    };
    const found = this.shapedTokens(value);
    const walk = (item: unknown, path: string, key: string | undefined): unknown => {
      if (typeof item === "string") {
        const out = this.redactString(item, found);
        if (out !== item) note(path, item);
        return out;
      }
      if (Array.isArray(item))
        return item.map((element, index) => walk(element, join(path, index), undefined));
      if (item !== null && typeof item === "object") {
        // Object.fromEntries defines keys as data: an argument named `__proto__` is logged, not swallowed.
        return Object.fromEntries(
          Object.entries(item).map(([rawName, entry]) => {
            // Security: an argument *named* after a secret (`{"ghp_…": 1}`) was logged whole while its
            // value was checked; names are redacted like values, and the listed field path uses the result.
            const name = this.redactString(rawName, found);
            if (name !== rawName) note(join(path, name), rawName);
            if (key === "env" && this.options.isSecretName(rawName)) {
              if (typeof entry === "string") note(join(path, name), entry);
              return [name, REDACTED];
            }
            return [name, walk(entry, join(path, name), name)];
          }),
        );
      }
      return item;
    };
    return { value: walk(value, "", undefined), changed, more };
  }
}

function join(path: string, name: string | number): string {
  return path === "" ? String(name) : `${path}.${name}`;
}

/** `text` with every run that is `value`'s first MIN_CUT_SECRET_LENGTH or more characters replaced. */
function redactCutPrefix(text: string, value: string): string {
  if (value.length < MIN_CUT_SECRET_LENGTH) return text;
  const head = value.slice(0, MIN_CUT_SECRET_LENGTH);
  let at = text.indexOf(head);
  if (at < 0) return text;
  let out = "";
  let from = 0;
  while (at >= 0) {
    let end = at + head.length;
    while (end < text.length && end - at < value.length && text[end] === value[end - at]) end += 1;
    out += text.slice(from, at) + REDACTED;
    from = end;
    at = text.indexOf(head, end);
  }
  return out + text.slice(from);
}
