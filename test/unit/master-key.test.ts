import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { addon } from "../../src/native/addon.js";
import { KEY_FILE, type Keyring, loadMasterKey } from "../../src/panes/journal/master-key.js";

const IS_ROOT = process.getuid?.() === 0;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh state directory (0700) inside a private temporary directory. */
function stateDir(): string {
  const base = mkdtempSync(join(tmpdir(), "ccmux-master-key-"));
  dirs.push(base);
  return join(base, "ccmux");
}

/** A keyring that cannot be used here (a seccomp filter, a kernel without keys): the fault real tests cannot cause. */
const NO_KEYRING: Keyring = {
  keyringRead: () => null,
  keyringAdd: () => {
    throw new Error("keyctl: Operation not permitted");
  },
};

describe("loadMasterKey: the key that wraps every pane key (issue 15)", () => {
  it("makes a 0600 key file in a 0700 directory on first use, and gives the same key after", () => {
    const dir = stateDir();
    const first = loadMasterKey({ stateDir: dir, prefer: "file" });
    expect(first).toMatchObject({ source: "file", where: join(dir, KEY_FILE) });
    expect(first.key).toHaveLength(32);
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(loadMasterKey({ stateDir: dir, prefer: "file" }).key.equals(first.key)).toBe(true);
  });

  it("a key file with loose modes, a loose directory, a symlink or the wrong size is refused", () => {
    const dir = stateDir();
    loadMasterKey({ stateDir: dir, prefer: "file" });
    const file = join(dir, KEY_FILE);
    chmodSync(file, 0o640);
    expect(() => loadMasterKey({ stateDir: dir, prefer: "file" })).toThrow(/mode 0640.*chmod 600/);
    chmodSync(file, 0o600);
    chmodSync(dir, 0o755);
    expect(() => loadMasterKey({ stateDir: dir, prefer: "file" })).toThrow(/directory.*mode 0755/);
    chmodSync(dir, 0o700);
    truncateSync(file, 31);
    expect(() => loadMasterKey({ stateDir: dir, prefer: "file" })).toThrow(/31 bytes, not 32/);
    rmSync(file);
    writeFileSync(join(dir, "elsewhere"), Buffer.alloc(32), { mode: 0o600 });
    symlinkSync(join(dir, "elsewhere"), file);
    expect(() => loadMasterKey({ stateDir: dir, prefer: "file" })).toThrow(/symbolic link/);
    // A FIFO in its place is refused at once, not waited on.
    rmSync(file);
    execFileSync("mkfifo", ["-m", "600", file]);
    expect(() => loadMasterKey({ stateDir: dir, prefer: "file" })).toThrow(/a FIFO, not a file/);
  });

  it.skipIf(!IS_ROOT)("a key file owned by someone else is refused (needs root to make one)", () => {
    const dir = stateDir();
    loadMasterKey({ stateDir: dir, prefer: "file" });
    chownSync(join(dir, KEY_FILE), 1000, 1000);
    expect(() => loadMasterKey({ stateDir: dir, prefer: "file" })).toThrow(/belongs to uid 1000/);
  });

  it("uses the kernel keyring where it works, and the key file where it does not", () => {
    const description = `ccmux-test-master-${process.pid}-${Date.now()}`;
    try {
      const dir = stateDir();
      const first = loadMasterKey({ stateDir: dir, prefer: "auto", description });
      if (addon.keyringRead(description) === null) {
        // This machine has no usable keyring: auto fell back to the file.
        expect(first.source).toBe("file");
      } else {
        expect(first).toMatchObject({ source: "keyring", where: description });
        expect(loadMasterKey({ stateDir: dir, prefer: "keyring", description }).key.equals(first.key)).toBe(
          true,
        );
      }
      const fallback = loadMasterKey({ stateDir: dir, prefer: "auto", keyring: NO_KEYRING, description });
      expect(fallback.source).toBe("file");
      expect(() =>
        loadMasterKey({ stateDir: dir, prefer: "keyring", keyring: NO_KEYRING, description }),
      ).toThrow(/keyring cannot hold/);
    } finally {
      addon.keyringRemove(description);
    }
  });
});
