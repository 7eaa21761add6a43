import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  lstatSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { DaemonUntrusted } from "../../src/daemon/daemon-errors.js";
import {
  type DaemonInfo,
  enforcesBytes,
  MAX_POLICY_IN_INFO,
  policyBytesField,
  readInfo,
} from "../../src/daemon/info-file.js";
import { writeInfo } from "../../src/daemon/info-file-write.js";
import { cleanup, IS_ROOT, NOT_ROOT_REASON, privateDir } from "./daemon-test-kit.js";

let base: string;
afterEach(() => cleanup(base));

const INFO: DaemonInfo = {
  version: 1,
  policy: "/srv/app/ccmux.json",
  policyHash: "a".repeat(64),
  socket: "/tmp/ccmux-0/0123456789abcdef.sock",
  pid: 4242,
  started: "2026-12-01T05:00:00.000Z",
  ccmux: "0.1.0",
};

function untrusted(path: string, uid?: number): DaemonUntrusted {
  try {
    readInfo(path, uid);
  } catch (error) {
    if (error instanceof DaemonUntrusted) return error;
    throw error;
  }
  throw new Error("trusted");
}

describe("info file written by ccmux (control)", () => {
  it("round-trips, is 0600 even under umask 000, and leaves no temporary file", () => {
    base = privateDir();
    const path = join(base, "k.json");
    const previous = process.umask(0);
    try {
      writeInfo(path, INFO);
    } finally {
      process.umask(previous);
    }
    expect(readInfo(path)).toEqual(INFO);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(base)).toEqual(["k.json"]);
  });

  it("refuses to write an info file that does not match the shape", () => {
    base = privateDir();
    expect(() => writeInfo(join(base, "k.json"), { ...INFO, pid: -1 })).toThrow();
    expect(readdirSync(base)).toEqual([]);
  });
});

describe("planted or tampered info file", () => {
  it("a symlink at the info file's name is refused on read, and replaced (not followed) on write", () => {
    base = privateDir();
    const victim = join(base, "victim");
    writeFileSync(victim, "keep me", { mode: 0o600 });
    const path = join(base, "k.json");
    symlinkSync(victim, path);
    expect(untrusted(path).reason).toBe("symlink");
    writeInfo(path, INFO);
    expect(readFileSync(victim, "utf8")).toBe("keep me");
    expect(lstatSync(path).isFile()).toBe(true);
  });

  it("a FIFO at the info file's name is refused at once (the read does not wait for a writer)", () => {
    base = privateDir();
    const path = join(base, "k.json");
    execFileSync("mkfifo", ["-m", "600", path]);
    expect(untrusted(path).reason).toBe("wrong-type");
  });

  it.each([0o644, 0o640, 0o606])("an info file of mode %o is refused", (mode) => {
    base = privateDir();
    const path = join(base, "k.json");
    writeInfo(path, INFO);
    chmodSync(path, mode);
    const error = untrusted(path);
    expect(error.reason).toBe("loose-mode");
    expect(error.message).toContain(`chmod 600 ${path}`);
  });

  it.skipIf(!IS_ROOT)(`an info file of another uid is refused (${NOT_ROOT_REASON})`, () => {
    base = privateDir();
    const path = join(base, "k.json");
    writeInfo(path, INFO);
    chownSync(path, 65534, 65534);
    expect(untrusted(path).message).toContain("belongs to uid 65534");
  });

  it("an info file of ours is refused to a reader of another uid", () => {
    base = privateDir();
    const path = join(base, "k.json");
    writeInfo(path, INFO);
    expect(untrusted(path, (process.getuid?.() ?? 0) + 1).reason).toBe("foreign-owner");
  });

  it.each([
    ["an unknown field", { ...INFO, exec: "/bin/sh" }],
    ["another version", { ...INFO, version: 2 }],
    ["a relative socket", { ...INFO, socket: "evil.sock" }],
    ["a pid that is not a number", { ...INFO, pid: "4242" }],
    ["a short policy hash", { ...INFO, policyHash: "abc" }],
    ["a start time that is not one", { ...INFO, started: "2026-13-01T05:00:00.000Z" }],
    ["a date that does not exist (attack review)", { ...INFO, started: "2026-02-31T00:00:00Z" }],
    ["the 31st of a 30-day month", { ...INFO, started: "2026-04-31T00:00:00Z" }],
    ["the 29th of February of a century that is no leap year", { ...INFO, started: "2100-02-29T00:00:00Z" }],
    ["a pid past any pid_max (attack review)", { ...INFO, pid: 2 ** 53 - 1 }],
    ["a NUL in the policy path (attack review)", { ...INFO, policy: "/tmp/p\u0000.json" }],
    ["a field named like an Object method", { ...INFO, toString: "x" }],
    ["a __proto__ field", JSON.parse(`{"__proto__": {}, ${JSON.stringify(INFO).slice(1)}`)],
    ["a missing field", { ...INFO, ccmux: undefined }],
  ])("content with %s is refused as malformed", (_, content) => {
    base = privateDir();
    const path = join(base, "k.json");
    writeFileSync(path, JSON.stringify(content), { mode: 0o600 });
    expect(untrusted(path).reason).toBe("malformed");
  });

  it("a start time is read the way Date reads it: a day exists exactly when Date does not roll it over", () => {
    base = privateDir();
    const path = join(base, "k.json");
    const day = fc.record({
      year: fc.integer({ min: 0, max: 9999 }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
    });
    fc.assert(
      fc.property(day, ({ year, month, day }) => {
        const started = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}T12:00:00Z`;
        const exists = new Date(Date.parse(started)).getUTCDate() === day;
        writeFileSync(path, JSON.stringify({ ...INFO, started }), { mode: 0o600 });
        if (exists) expect(readInfo(path).started).toBe(started);
        else expect(untrusted(path).reason).toBe("malformed");
      }),
      {
        seed: 16,
        numRuns: 500,
        examples: [[{ year: 2000, month: 2, day: 29 }], [{ year: 2028, month: 2, day: 29 }]],
      },
    );
  });

  it("not JSON, or too big, is refused as malformed", () => {
    base = privateDir();
    const path = join(base, "k.json");
    writeFileSync(path, "{", { mode: 0o600 });
    expect(untrusted(path).reason).toBe("malformed");
    writeFileSync(path, JSON.stringify({ ...INFO, ccmux: "x".repeat(400_000) }), { mode: 0o600 });
    expect(untrusted(path).message).toContain("larger than");
  });

  it("policyBytes must be base64 of a policy no bigger than the info file carries", () => {
    base = privateDir();
    const path = join(base, "k.json");
    const bytes = Buffer.from('{"workspace":["."]}\n');
    writeInfo(path, { ...INFO, ...policyBytesField(bytes) });
    const info = readInfo(path);
    expect(enforcesBytes(info, bytes)).toBe(true);
    expect(enforcesBytes(info, Buffer.from('{"workspace":["."]}'))).toBe(false);
    expect(enforcesBytes(INFO, bytes)).toBeUndefined();
    expect(policyBytesField(Buffer.alloc(MAX_POLICY_IN_INFO + 1))).toEqual({});
    for (const policyBytes of [
      "not base64!",
      "QQ",
      `${"A".repeat(Math.ceil(MAX_POLICY_IN_INFO / 3) * 4 + 4)}`,
    ]) {
      writeFileSync(path, JSON.stringify({ ...INFO, policyBytes }), { mode: 0o600 });
      expect(untrusted(path).message).toMatch(/policyBytes: must be base64/);
    }
  });

  it("a missing info file says so (reason missing)", () => {
    base = privateDir();
    expect(untrusted(join(base, "k.json")).reason).toBe("missing");
  });
});
