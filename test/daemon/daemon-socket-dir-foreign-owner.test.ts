import { chownSync, lstatSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DaemonDirError } from "../../src/daemon/daemon-errors.js";
import { ensureSocketDir, socketDirPath } from "../../src/daemon/runtime-dir.js";
import { cleanup, IS_ROOT, NOT_ROOT_REASON, privateDir } from "./daemon-test-kit.js";

const uid = process.getuid?.() ?? 0;
let base: string;
afterEach(() => cleanup(base));

function refusal(path: string, asUid: number): DaemonDirError {
  try {
    ensureSocketDir(path, asUid);
  } catch (error) {
    if (error instanceof DaemonDirError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("socket directory pre-created by another user (seed §5.1)", () => {
  it.skipIf(!IS_ROOT)(
    `a 0700 directory that belongs to nobody (65534) is refused, never chowned (${NOT_ROOT_REASON})`,
    () => {
      base = privateDir();
      const dir = join(base, "ccmux");
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, 65534, 65534);
      const error = refusal(dir, uid);
      expect(error.reason).toBe("foreign-owner");
      expect(error.message).toContain("belongs to uid 65534");
      expect(lstatSync(dir).uid).toBe(65534);
    },
  );

  it("a directory of ours is refused to a daemon of another uid (the check compares owners, for any uid)", () => {
    base = privateDir();
    const dir = join(base, "ccmux");
    mkdirSync(dir, { mode: 0o700 });
    const other = uid === 0 ? 1000 : 0;
    const error = refusal(dir, other);
    expect(error.reason).toBe("foreign-owner");
    expect(error.message).toContain(`belongs to uid ${uid}, not to uid ${other}`);
    expect(error.message).toContain("XDG_RUNTIME_DIR");
  });

  it("an XDG_RUNTIME_DIR of another uid is ignored", () => {
    base = privateDir();
    expect(socketDirPath({ XDG_RUNTIME_DIR: base }, uid + 1)).toBe(`/tmp/ccmux-${uid + 1}`);
  });
});
