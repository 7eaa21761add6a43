import { existsSync, renameSync, rmSync } from "node:fs";

/** The rotated file `n` generations back (1 = the newest rotated file). */
export const rotatedName = (path: string, n: number): string => `${path}.${n}`;

/** Every file of the log, oldest first: `path.N` … `path.1`, then `path` itself (those that exist). */
export function logFiles(path: string, keep: number): string[] {
  const files: string[] = [];
  for (let n = keep; n >= 1; n--) if (existsSync(rotatedName(path, n))) files.push(rotatedName(path, n));
  if (existsSync(path)) files.push(path);
  return files;
}

/** Shifts `path` to `path.1` (and `path.k` to `path.k+1`), dropping what would become `path.(keep+1)`. */
export function shiftFiles(path: string, keep: number): void {
  rmSync(rotatedName(path, keep), { force: true });
  for (let n = keep - 1; n >= 1; n--) {
    if (existsSync(rotatedName(path, n))) renameSync(rotatedName(path, n), rotatedName(path, n + 1));
  }
  renameSync(path, rotatedName(path, 1));
}
