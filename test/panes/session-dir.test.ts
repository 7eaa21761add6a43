import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSessionDir } from "../../src/panes/session-dir.js";

const roots: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "ccmux-sess-"));
  roots.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe("secure session directories (seed §1.1)", () => {
  it("creates a fresh 0700 directory inside a 0700 base and removes it", () => {
    const base = join(scratch(), "sessions");
    const dir = createSessionDir(base);
    expect(statSync(base).mode & 0o777).toBe(0o700);
    expect(statSync(dir.path).mode & 0o777).toBe(0o700);
    expect(dir.path.startsWith(base)).toBe(true);
    expect(createSessionDir(base).path).not.toBe(dir.path);
    dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });

  it("symlink attack: a base that is a symlink to the user's config is refused", () => {
    const root = scratch();
    const victim = join(root, "dot-claude");
    mkdirSync(victim, { mode: 0o700 });
    symlinkSync(victim, join(root, "sessions"));
    expect(codeOf(() => createSessionDir(join(root, "sessions")))).toBe("SPAWN_FAILED");
  });

  it("a base open to other users is refused", () => {
    const base = join(scratch(), "sessions");
    mkdirSync(base, { mode: 0o700 });
    chmodSync(base, 0o777);
    expect(codeOf(() => createSessionDir(base))).toBe("SPAWN_FAILED");
  });

  it("TOCTOU race: the directory swapped for a symlink between creation and check is refused", () => {
    const root = scratch();
    const base = join(root, "sessions");
    const victim = join(root, "victim");
    mkdirSync(victim, { mode: 0o700 });
    const code = codeOf(() =>
      createSessionDir(base, {
        afterCreate(path) {
          renameSync(path, `${path}.moved`);
          symlinkSync(victim, path);
        },
      }),
    );
    expect(code).toBe("SPAWN_FAILED");
  });

  it("TOCTOU race: a directory swapped for one with loose permissions is refused", () => {
    const base = join(scratch(), "sessions");
    const code = codeOf(() =>
      createSessionDir(base, {
        afterCreate(path) {
          chmodSync(path, 0o755);
        },
      }),
    );
    expect(code).toBe("SPAWN_FAILED");
  });
});
