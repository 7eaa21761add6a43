import { randomBytes } from "node:crypto";
import { closeSync, constants, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { type DaemonInfo, infoProblem } from "./info-file.js";

/**
 * Writes `info` to `path` atomically: a fresh `<path>.tmp-<random>` (O_EXCL|O_NOFOLLOW, mode 0600), fsync, then
 * rename over `path`. A reader sees the old file or the new one, never half of one; a symlink at `path` is
 * replaced, not followed. Throws on invalid `info` and on I/O errors (the temporary file is removed).
 */
export function writeInfo(path: string, info: DaemonInfo): void {
  const problem = infoProblem(info);
  if (problem !== undefined) throw new Error(`not a daemon info: ${problem}`);
  const text = `${JSON.stringify(info)}\n`;
  const temporary = `${path}.tmp-${randomBytes(8).toString("hex")}`;
  // Security: a file or symlink planted at a predictable temporary name would receive the info (O_EXCL|O_NOFOLLOW).
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // already renamed or gone
    }
    throw error;
  }
}
