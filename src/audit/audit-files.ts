import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The rotated file `n` generations back (1 = the newest rotated file). */
export const rotatedName = (path: string, n: number): string => `${path}.${n}`;

/** Every file of the log, oldest first: `path.N` … `path.1` (all that exist), then `path` itself. */
export function logFiles(path: string): string[] {
  const name = basename(path);
  let entries: string[] = [];
  try {
    entries = readdirSync(dirname(path));
  } catch {
    return [];
  }
  const rotated = entries
    .map((entry) => (entry.startsWith(`${name}.`) ? Number(entry.slice(name.length + 1)) : Number.NaN))
    .filter((n) => Number.isInteger(n) && n >= 1)
    .sort((a, b) => b - a)
    .map((n) => join(dirname(path), `${name}.${n}`));
  return existsSync(path) ? [...rotated, path] : rotated;
}

/** Files beside the log that are not in its chain: `path.unchained-*` (older logs), `path.new-*` (leftovers). */
export function setAside(path: string): string[] {
  const name = basename(path);
  try {
    return readdirSync(dirname(path))
      .filter((entry) => entry.startsWith(`${name}.unchained-`) || entry.startsWith(`${name}.new-`))
      .map((entry) => join(dirname(path), entry));
  } catch {
    return [];
  }
}

/** Shifts `path` to `path.1` (and `path.k` to `path.k+1`), dropping what would become `path.(keep+1)`. */
export function shiftFiles(path: string, keep: number): void {
  rmSync(rotatedName(path, keep), { force: true });
  for (let n = keep - 1; n >= 1; n--) {
    if (existsSync(rotatedName(path, n))) renameSync(rotatedName(path, n), rotatedName(path, n + 1));
  }
  renameSync(path, rotatedName(path, 1));
}
