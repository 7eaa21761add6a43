import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";

/**
 * DaemonInfo.policyHash: sha256 (hex) of the policy file's bytes. Hash the very bytes the daemon parsed (read the
 * file once), so the hash cannot describe a different version than the one enforced.
 */
export function policyHash(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The name of the pane journals' directory of the daemon of `policyPath`: the first 16 hex digits of
 * sha256(realpath), the daemon's key before daemon files were named without node:crypto (fileKey), so journals
 * kept by a daemon of an earlier ccmux are found and restored. Throws when the policy file is missing.
 */
export function journalKey(policyPath: string): string {
  return createHash("sha256").update(realpathSync(policyPath)).digest("hex").slice(0, 16);
}
