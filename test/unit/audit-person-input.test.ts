import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog, DEFAULT_AUDIT_OPTIONS } from "../../src/audit/audit-log.js";
import { Redactor } from "../../src/audit/redact.js";

/** What a person types through `ccmux attach --write` is audited like the agent's send_keys text (issue 13). */
const redactor = new Redactor({ secretValues: [], isSecretName: () => false });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ccmux-audit-person-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function written(redactInput: boolean): Record<string, unknown> {
  const path = join(dir, `audit-${redactInput}.jsonl`);
  const log = AuditLog.open(path, "s-test", redactor, { ...DEFAULT_AUDIT_OPTIONS, redactInput });
  log.write({
    event: "person-input",
    decision: "allow",
    origin: "person",
    pane: "p-1",
    bytes: 11,
    text: "sudo rm -rf",
  });
  log.close();
  const lines = readFileSync(path, "utf8").trim().split("\n");
  return JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
}

describe("a person's typing in the audit log", () => {
  it("redactInput keeps only its length and SHA-256", () => {
    const record = written(true);
    const sha256 = createHash("sha256").update("sudo rm -rf").digest("hex");
    expect(record).toMatchObject({
      event: "person-input",
      origin: "person",
      bytes: 11,
      text: { length: 11, sha256 },
    });
    expect(JSON.stringify(record)).not.toContain("sudo rm");
  });

  it("without redactInput the text is kept (the forensic record), like the agent's", () => {
    expect(written(false)).toMatchObject({ event: "person-input", text: "sudo rm -rf" });
  });
});
