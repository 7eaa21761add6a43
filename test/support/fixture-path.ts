import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

const SOURCE = resolve(import.meta.dirname, "../fixtures");
let copies: string | undefined;

/**
 * The path of test/fixtures/<name> as a sandboxed pane can see it. A checkout under /tmp is invisible inside the
 * sandbox (every pane has a private /tmp), so fixtures are copied once per test process into /var/tmp, which
 * panes see read-only like the rest of the system.
 */
export function fixturePath(name: string): string {
  if (copies === undefined) {
    const dir = mkdtempSync("/var/tmp/ccmux-fixtures-");
    copies = dir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  const target = join(copies, name);
  copyFileSync(join(SOURCE, name), target);
  return target;
}
