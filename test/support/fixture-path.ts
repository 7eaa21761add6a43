import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, renameSync } from "node:fs";
import { join, resolve } from "node:path";

const SOURCE = resolve(import.meta.dirname, "../fixtures");
let copies: string | undefined;

/**
 * A directory of ours outside /tmp: one per user, reused by every test run (so runs leave nothing new
 * behind), used only when it is a real directory we own that nobody else can write; otherwise a fresh one.
 * Fixtures are no secret: others may read them.
 */
function copiesDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = `/var/tmp/ccmux-test-fixtures-${uid}`;
  try {
    mkdirSync(dir, { mode: 0o755 });
  } catch {
    // exists: checked below
  }
  const stat = lstatSync(dir);
  // Readable by all: a root server's panes run as an unprivileged user and must reach the fixtures.
  if (stat.isDirectory() && stat.uid === uid && (stat.mode & 0o022) === 0) {
    chmodSync(dir, 0o755);
    return dir;
  }
  const fresh = mkdtempSync("/var/tmp/ccmux-test-fixtures-");
  chmodSync(fresh, 0o755);
  return fresh;
}

/**
 * The path of test/fixtures/<name> as a sandboxed pane can see it. A checkout under /tmp is invisible inside the
 * sandbox (every pane has a private /tmp), so fixtures are copied into /var/tmp, which panes see read-only like
 * the rest of the system. Each copy is written beside its name and renamed into place (test files run at once).
 */
export function fixturePath(name: string): string {
  copies ??= copiesDir();
  const target = join(copies, name);
  const fresh = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  copyFileSync(join(SOURCE, name), fresh);
  renameSync(fresh, target);
  return target;
}
