import { createHash } from "node:crypto";
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { daemonFiles, fileKey, SOCKET_NAME } from "../../src/daemon/daemon-files.js";
import { journalKey, policyHash } from "../../src/daemon/policy-hash.js";
import { newSocketPath } from "../../src/daemon/socket-listen.js";
import { cleanup, privateDir } from "./daemon-test-kit.js";

let base: string;
afterEach(() => cleanup(base));

describe("daemon file names", () => {
  it("one key per policy file, whatever the spelling; another file gets another key", () => {
    base = privateDir();
    mkdirSync(join(base, "a"));
    writeFileSync(join(base, "a", "policy.json"), "{}");
    writeFileSync(join(base, "other.json"), "{}");
    symlinkSync(join(base, "a"), join(base, "link"));
    const files = daemonFiles("/run/ccmux", join(base, "a", "policy.json"));
    expect(files.key).toMatch(/^[0-9a-f]{16}$/);
    expect(files).toEqual({
      key: files.key,
      lock: `/run/ccmux/${files.key}.lock`,
      info: `/run/ccmux/${files.key}.json`,
      log: `/run/ccmux/${files.key}.log`,
    });
    expect(daemonFiles("/run/ccmux", join(base, "link", "policy.json")).key).toBe(files.key);
    expect(daemonFiles("/run/ccmux", relative(process.cwd(), join(base, "a", "policy.json"))).key).toBe(
      files.key,
    );
    expect(daemonFiles("/run/ccmux", join(base, "other.json")).key).not.toBe(files.key);
  });

  it("a missing policy file throws (no daemon for a file that is not there)", () => {
    base = privateDir();
    expect(() => daemonFiles("/run/ccmux", join(base, "missing.json"))).toThrow(/ENOENT/);
  });

  it("socket names are random, inside the directory, and fit a Unix socket address from /tmp/ccmux-UID", () => {
    const names = new Set(Array.from({ length: 100 }, () => newSocketPath("/tmp/ccmux-4294967294")));
    expect(names.size).toBe(100);
    for (const name of names) {
      expect(name.startsWith("/tmp/ccmux-4294967294/")).toBe(true);
      expect(SOCKET_NAME.test(name.slice("/tmp/ccmux-4294967294/".length))).toBe(true);
      expect(Buffer.byteLength(name)).toBeLessThan(108);
    }
  });

  it("the key is FNV-1a (64 bits) of the realpath's UTF-8 bytes: node:crypto is not needed to name the files", () => {
    // The FNV-1a 64 test vectors (the empty string is the offset basis).
    expect(fileKey("")).toBe("cbf29ce484222325");
    expect(fileKey("a")).toBe("af63dc4c8601ec8c");
    expect(fileKey("foobar")).toBe("85944171f73967e8");
    expect(fileKey("/é")).toMatch(/^[0-9a-f]{16}$/);
    expect(fileKey("/é")).not.toBe(fileKey("/e"));
  });

  it("journals keep the name sha256 gave them, so those a daemon of an earlier ccmux kept are restored", () => {
    base = privateDir();
    const policy = join(base, "policy.json");
    writeFileSync(policy, "{}");
    const expected = createHash("sha256").update(realpathSync(policy)).digest("hex").slice(0, 16);
    expect(journalKey(policy)).toBe(expected);
  });

  it("policyHash is the sha256 of the bytes, in hex (sha256 of the empty string is e3b0…b855)", () => {
    expect(policyHash(new Uint8Array())).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(policyHash(Buffer.from("{}"))).toMatch(/^[0-9a-f]{64}$/);
  });
});
