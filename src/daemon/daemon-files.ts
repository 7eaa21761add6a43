import { createHash, randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import { join } from "node:path";

/** The files of one policy's daemon inside the socket directory. */
export interface DaemonFiles {
  /** First 16 hex digits of sha256(realpath of the policy file): one daemon per policy file. */
  key: string;
  /** `<dir>/<key>.lock`: flock'ed by the daemon for its whole life. */
  lock: string;
  /** `<dir>/<key>.json`: the DaemonInfo naming the current socket and pid. */
  info: string;
  /** `<dir>/<key>.log`: the detached daemon's stderr. */
  log: string;
}

/**
 * The key and file names of the daemon for `policyPath` in `dir`. The key hashes the policy's realpath, so every
 * spelling of one file (relative, through symlinks) finds the same daemon. Throws when the policy file is missing.
 */
export function daemonFiles(dir: string, policyPath: string): DaemonFiles {
  const key = createHash("sha256").update(realpathSync(policyPath)).digest("hex").slice(0, 16);
  return {
    key,
    lock: join(dir, `${key}.lock`),
    info: join(dir, `${key}.json`),
    log: join(dir, `${key}.log`),
  };
}

/**
 * DaemonInfo.policyHash: sha256 (hex) of the policy file's bytes. Hash the very bytes the daemon parsed (read the
 * file once), so the hash cannot describe a different version than the one enforced.
 */
export function policyHash(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The shape of a socket name newSocketPath makes: 16 random hex digits and `.sock`. */
export const SOCKET_NAME = /^[0-9a-f]{16}\.sock$/;

/**
 * A fresh socket path `<dir>/<16 random hex>.sock`. Security: a name nobody can predict cannot be squatted or
 * pre-planted before the daemon binds it (a fixed name could be taken first).
 */
export function newSocketPath(dir: string): string {
  return join(dir, `${randomBytes(8).toString("hex")}.sock`);
}
