import { spawn } from "node:child_process";
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog, DEFAULT_AUDIT_OPTIONS, MAX_RECORD_BYTES } from "../../src/audit/audit-log.js";
import { verifyLog } from "../../src/audit/audit-verify.js";
import { Redactor } from "../../src/audit/redact.js";

const redactor = new Redactor({ secretValues: [], isSecretName: () => false });
let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ccmux-audit-"));
  path = join(dir, "audit.jsonl");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = () => AuditLog.open(path, "s-test", redactor, DEFAULT_AUDIT_OPTIONS);
const lines = () =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0);

describe("AuditLog", () => {
  it("a huge record (many long strings) is bounded, so it cannot make the next start drop the history", () => {
    const log = open();
    log.write({ event: "start", decision: "info" });
    const args = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, "x".repeat(4000)]));
    log.write({ event: "call", decision: "deny", tool: "spawn", args });
    log.close();
    const written = lines();
    expect(Buffer.byteLength(written.at(-1) as string)).toBeLessThan(MAX_RECORD_BYTES);
    expect(JSON.parse(written.at(-1) as string).args).toMatchObject({ oversized: true });
    const again = open();
    again.write({ event: "stop", decision: "info" });
    again.close();
    const verified = verifyLog(path);
    expect(verified).toMatchObject({ ok: true, records: 4, notes: [] });
  });

  it("a crash mid-record (cut inside a multi-byte character) is trimmed to the last whole record", () => {
    const log = open();
    for (let i = 0; i < 2000; i++)
      log.write({
        event: "call",
        decision: "allow",
        tool: "send_keys",
        args: { text: "日本語のテキスト".repeat(8) },
      });
    log.close();
    const whole = lines().length;
    appendFileSync(path, Buffer.from('{"v":2,"seq":999999,"text":"日本', "utf8").subarray(0, 27));
    const again = open();
    again.write({ event: "stop", decision: "info" });
    again.close();
    expect(lines()).toHaveLength(whole + 1);
    expect(verifyLog(path)).toMatchObject({ ok: true, records: whole + 1 });
  });

  it("a damaged last record is rotated into the sequence, where verify names it, never set aside silently", () => {
    const log = open();
    log.write({ event: "start", decision: "info" });
    log.close();
    appendFileSync(path, "not a record\n");
    const again = open();
    again.write({ event: "stop", decision: "info" });
    again.close();
    const verified = verifyLog(path);
    expect(verified.ok).toBe(false);
    expect(verified.broken).toMatchObject({ file: `${path}.1`, line: 3 });
  });

  it("an argument named __proto__ is logged like any other", () => {
    const log = open();
    log.write({
      event: "call",
      decision: "deny",
      tool: "spawn",
      args: JSON.parse('{"__proto__": {"x": 1}}'),
    });
    log.close();
    expect(lines().at(-1)).toContain('"__proto__":{"x":1}');
    expect(verifyLog(path).ok).toBe(true);
  });
});

describe("AuditLog lock", () => {
  it("a lock another process never lets go of refuses the write (AUDIT_UNAVAILABLE) instead of freezing, and recovers", async () => {
    const log = open();
    log.write({ event: "start", decision: "info" });
    // flock(1) passes the locked descriptor on to `sleep`: both go, as a process group, at the end.
    const holder = spawn("flock", ["-x", `${path}.lock`, "sleep", "30"], { stdio: "ignore", detached: true });
    try {
      // Wait until the holder has the lock (a try-lock from here fails).
      const { addon } = await import("../../src/native/addon.js");
      const probe = openSync(`${path}.lock`, "r");
      for (let i = 0; i < 500 && addon.tryFlock(probe); i++) {
        addon.flock(probe, false);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      closeSync(probe);
      let code: string | undefined;
      try {
        log.write({ event: "call", decision: "allow", tool: "list_panes" });
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      expect(code).toBe("AUDIT_UNAVAILABLE");
    } finally {
      const exited = new Promise((resolve) => holder.once("exit", resolve));
      process.kill(-(holder.pid as number), "SIGKILL");
      await exited;
    }
    log.write({ event: "stop", decision: "info" });
    log.close();
    expect(verifyLog(path)).toMatchObject({ ok: true, records: 3 });
  });
});
