import { chmodSync, lstatSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DaemonDirError } from "../../src/daemon/daemon-errors.js";
import { verifyDaemon } from "../../src/daemon/daemon-verify.js";
import { checkSocketDir, ensureSocketDir, socketDirPath } from "../../src/daemon/runtime-dir.js";
import {
  cleanup,
  type HonestDaemon,
  honestConnectionsBefore,
  honestDaemon,
  policyFile,
  privateDir,
} from "./daemon-test-kit.js";

const uid = process.getuid?.() ?? 0;
let base: string;
let daemon: HonestDaemon | undefined;
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
  cleanup(base);
});

describe("loose socket directory (seed §5.1)", () => {
  it.each([0o755, 0o750, 0o701, 0o770, 0o1777, 0o707])(
    "an existing directory of mode %o is refused with the chmod to run, and its mode is left alone",
    (mode) => {
      base = privateDir();
      const dir = join(base, "ccmux");
      mkdirSync(dir);
      chmodSync(dir, mode);
      let error: unknown;
      try {
        ensureSocketDir(dir);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DaemonDirError);
      expect((error as DaemonDirError).reason).toBe("loose-mode");
      expect((error as DaemonDirError).message).toContain(`run chmod 700 ${dir}`);
      expect((error as DaemonDirError).message).toContain(`mode 0${(mode & 0o7777).toString(8)}`);
      expect(lstatSync(dir).mode & 0o7777).toBe(mode);
    },
  );

  it("an owner-unusable directory (0500) is refused, not fixed", () => {
    base = privateDir();
    const dir = join(base, "ccmux");
    mkdirSync(dir, { mode: 0o500 });
    expect(() => ensureSocketDir(dir)).toThrow(/chmod 700/);
    expect(lstatSync(dir).mode & 0o777).toBe(0o500);
  });

  it("a file where the directory belongs is refused", () => {
    base = privateDir();
    const dir = join(base, "ccmux");
    writeFileSync(dir, "");
    expect(() => ensureSocketDir(dir)).toThrow(/is a regular file, not a directory/);
  });

  it("checkSocketDir creates nothing: a missing directory is reported as missing", () => {
    base = privateDir();
    const dir = join(base, "ccmux");
    expect(() => checkSocketDir(dir)).toThrow(expect.objectContaining({ reason: "missing" }));
    expect(() => lstatSync(dir)).toThrow();
  });

  it("a group- or world-writable XDG_RUNTIME_DIR is ignored for /tmp/ccmux-UID", () => {
    base = privateDir();
    chmodSync(base, 0o777);
    expect(socketDirPath({ XDG_RUNTIME_DIR: base }, uid)).toBe(`/tmp/ccmux-${uid}`);
    chmodSync(base, 0o770);
    expect(socketDirPath({ XDG_RUNTIME_DIR: base }, uid)).toBe(`/tmp/ccmux-${uid}`);
    chmodSync(base, 0o755); // /run/user/UID style: readable by others is fine, writable is not
    expect(socketDirPath({ XDG_RUNTIME_DIR: base }, uid)).toBe(join(base, "ccmux"));
  });

  it("a client refuses a daemon whose directory was loosened after it started (0755), without connecting", async () => {
    base = privateDir();
    const policy = policyFile(base);
    daemon = await honestDaemon(join(base, "ccmux"), policy);
    chmodSync(daemon.dir, 0o755);
    const verdict = await verifyDaemon(daemon.dir, policy.path);
    expect(verdict).toMatchObject({ ok: false, stale: false });
    if (!verdict.ok) expect(verdict.reason).toContain("chmod 700");
    expect(await honestConnectionsBefore(daemon)).toBe(0);
  });
});
