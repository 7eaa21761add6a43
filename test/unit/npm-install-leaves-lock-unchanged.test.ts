import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

/**
 * `npm install` in a fresh clone rewrote package-lock.json (it added the root's `hasInstallScript`), leaving
 * the clone dirty. npm writes the lock from package.json alone (`--package-lock-only`, offline, no scripts),
 * so the committed lock must be byte for byte what npm writes.
 */
const ROOT = resolve(import.meta.dirname, "../..");
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The lock npm writes for the project's package.json, starting from `lock`. */
function lockNpmWrites(lock: string): string {
  dir = mkdtempSync(join(tmpdir(), "ccmux-lock-"));
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
  writeFileSync(join(dir, "package-lock.json"), lock);
  const npm = spawnSync(
    "npm",
    ["install", "--package-lock-only", "--ignore-scripts", "--offline", "--no-audit", "--no-fund"],
    { cwd: dir, encoding: "utf8", timeout: 60_000 },
  );
  expect(npm.status, npm.stderr).toBe(0);
  return readFileSync(join(dir, "package-lock.json"), "utf8");
}

describe("npm install dirties the clone", () => {
  it("the committed package-lock.json is exactly what npm writes for package.json", () => {
    const committed = readFileSync(join(ROOT, "package-lock.json"), "utf8");
    expect(lockNpmWrites(committed)).toBe(committed);
  });

  it("a lock without the root's hasInstallScript is rewritten (control)", () => {
    const committed = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
    delete committed.packages[""].hasInstallScript;
    const old = `${JSON.stringify(committed, null, 2)}\n`;
    const written = lockNpmWrites(old);
    expect(written).not.toBe(old);
    expect(JSON.parse(written).packages[""].hasInstallScript).toBe(true);
  });
});
