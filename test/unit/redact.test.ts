import { describe, expect, it } from "vitest";
import { REDACTED, Redactor } from "../../src/audit/redact.js";
import { isSecretName } from "../../src/validation/env-filter.js";

describe("audit redaction", () => {
  const redactor = new Redactor({ secretValues: ["hunter2-server-secret", "abc"], isSecretName });

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
    ["-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----"],
  ])("removes credential shapes: %s", (secret) => {
    expect(redactor.redactString(`before ${secret} after`)).toBe(`before ${REDACTED} after`);
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
