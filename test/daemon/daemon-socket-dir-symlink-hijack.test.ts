import { lstatSync, mkdirSync, readdirSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DaemonDirError } from "../../src/daemon/daemon-errors.js";
import { verifyDaemon } from "../../src/daemon/daemon-verify.js";
import { ensureSocketDir, socketDirPath } from "../../src/daemon/runtime-dir.js";
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

function refusal(path: string): DaemonDirError {
  try {
    ensureSocketDir(path);
  } catch (error) {
    if (error instanceof DaemonDirError) return error;
    throw error;
  }
  throw new Error(`ensureSocketDir(${path}) accepted it`);
}

describe("socket directory symlink hijack (seed §5.1)", () => {
  it("control: a missing directory is created 0700 and ours", () => {
    base = privateDir();
    const dir = join(base, "ccmux");
    ensureSocketDir(dir);
    const st = lstatSync(dir);
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o777).toBe(0o700);
    expect(st.uid).toBe(uid);
    ensureSocketDir(dir); // an existing good directory passes again (the EEXIST path)
  });

  it("a symlink to a directory the attacker prepared (ours, 0700 even) is refused, and nothing is made in it", () => {
    base = privateDir();
    const target = join(base, "attacker");
    mkdirSync(target, { mode: 0o700 });
    const dir = join(base, "ccmux");
    symlinkSync(target, dir);
    const error = refusal(dir);
    expect(error.reason).toBe("symlink");
    expect(error.message).toContain(`${dir} is a symbolic link`);
    expect(error.message).toContain(`rm ${dir}`);
    expect(readdirSync(target)).toEqual([]);
    expect(lstatSync(dir).isSymbolicLink()).toBe(true);
  });

  it("a dangling symlink (mkdir fails EEXIST; the link would be followed by a later create) is refused", () => {
    base = privateDir();
    const dir = join(base, "ccmux");
    symlinkSync(join(base, "not-yet"), dir);
    expect(refusal(dir).reason).toBe("symlink");
    expect(() => statSync(join(base, "not-yet"))).toThrow();
  });

  it("a symlink to something that is not a directory (/dev/null) is refused as a symlink", () => {
    base = privateDir();
    mkdirSync(join(base, "x"));
    symlinkSync("/dev/null", join(base, "x", "y"));
    expect(refusal(join(base, "x", "y")).reason).toBe("symlink");
  });

  it("only the last component is created: a missing parent is refused, not made (no mkdir -p)", () => {
    base = privateDir();
    const dir = join(base, "missing", "ccmux");
    const error = refusal(dir);
    expect(error.reason).toBe("missing-parent");
    expect(() => lstatSync(join(base, "missing"))).toThrow();
  });

  it("XDG_RUNTIME_DIR that is a symlink is ignored for /tmp/ccmux-UID", () => {
    base = privateDir();
    const real = join(base, "real");
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(base, "link"));
    expect(socketDirPath({ XDG_RUNTIME_DIR: join(base, "link") }, uid)).toBe(`/tmp/ccmux-${uid}`);
    expect(socketDirPath({ XDG_RUNTIME_DIR: real }, uid)).toBe(join(real, "ccmux"));
    expect(socketDirPath({ XDG_RUNTIME_DIR: "relative/dir" }, uid)).toBe(`/tmp/ccmux-${uid}`);
    expect(socketDirPath({}, uid)).toBe(`/tmp/ccmux-${uid}`);
  });

  it("a client whose socket directory is a symlink to a working daemon's directory refuses it without connecting", async () => {
    base = privateDir();
    const policy = policyFile(base);
    daemon = await honestDaemon(join(base, "elsewhere"), policy);
    const dir = join(base, "ccmux");
    symlinkSync(daemon.dir, dir);
    const verdict = await verifyDaemon(dir, policy.path);
    expect(verdict).toMatchObject({ ok: false, stale: false });
    if (!verdict.ok) expect(verdict.reason).toContain("is a symbolic link");
    expect(await honestConnectionsBefore(daemon)).toBe(0);
    const control = await verifyDaemon(daemon.dir, policy.path);
    expect(control.ok).toBe(true);
    if (control.ok) control.socket.destroy();
  });
});
