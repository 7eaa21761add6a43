import { realpathSync } from "node:fs";
import { join } from "node:path";

/** The files of one policy's daemon inside the socket directory. */
export interface DaemonFiles {
  /** 16 hex digits naming the policy file's realpath (fileKey): one daemon per policy file. */
  key: string;
  /** `<dir>/<key>.lock`: flock'ed by the daemon for its whole life. */
  lock: string;
  /** `<dir>/<key>.json`: the DaemonInfo naming the current socket and pid. */
  info: string;
  /** `<dir>/<key>.log`: the detached daemon's stderr. */
  log: string;
}

/**
 * The key and file names of the daemon for `policyPath` in `dir`. The key names the policy's realpath, so every
 * spelling of one file (relative, through symlinks) finds the same daemon. Throws when the policy file is missing.
 */
export function daemonFiles(dir: string, policyPath: string): DaemonFiles {
  const key = fileKey(realpathSync(policyPath));
  return {
    key,
    lock: join(dir, `${key}.lock`),
    info: join(dir, `${key}.json`),
    log: join(dir, `${key}.log`),
  };
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = 0xffffffffffffffffn;

/**
 * FNV-1a (64 bits) of `text`'s UTF-8 bytes, as 16 hex digits: a file name for a path, computed without loading
 * node:crypto, which would be 0.6 MiB of every bridge's memory (issue 16). A name, not a check: two policy files
 * whose paths share a key share lock and info names, and the info file's `policy` (the realpath, compared by
 * verifyDaemon) tells them apart, refusing the second rather than reaching the wrong daemon.
 */
export function fileKey(text: string): string {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(text, "utf8")) hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & U64;
  return hash.toString(16).padStart(16, "0");
}

/** The shape of a socket name newSocketPath makes: 16 random hex digits and `.sock`. */
export const SOCKET_NAME = /^[0-9a-f]{16}\.sock$/;
