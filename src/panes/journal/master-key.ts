import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { addon } from "../../native/addon.js";
import { currentUid, privacyProblem } from "../../shared/owner-check.js";
import { KEY_BYTES } from "./journal-crypto.js";

/** Where the master key that wraps every pane key comes from: the kernel keyring, or a key file. */
export type MasterKeySource = "keyring" | "file";

/** The user's master key for pane journals, and where it lives (for `ccmux doctor`). */
export interface MasterKey {
  key: Buffer;
  source: MasterKeySource;
  /** The keyring key's description, or the key file's path. */
  where: string;
}

/** The keyring key's description: one per uid (the user keyring is the uid's). */
export const KEYRING_DESCRIPTION = "ccmux:journal-master-key";
/** The key file's name in ccmux's state directory. */
export const KEY_FILE = "journal-master.key";

/** The kernel keyring calls master keys use (addon's by default; tests may pass others). */
export interface Keyring {
  keyringRead(description: string): Buffer | null;
  keyringAdd(description: string, payload: Buffer): number;
}

/**
 * The master key for pane journals (issue 15, seed §7.1): from the user keyring where it works (`prefer: "auto"`
 * or `"keyring"`), otherwise from `stateDir`/journal-master.key, made on first use. Throws an Error whose message
 * says what to fix: a key file or directory with loose modes, another owner, a symlink, the wrong size; with
 * `prefer: "keyring"`, a keyring that cannot be used.
 *
 * Security: the key file is checked like the daemon's own files (shared/owner-check.ts): a regular file owned by
 * this uid, no group or other bits, in a 0700 directory of this uid; a key another user could read or plant
 * would open, or forge, every journal.
 */
export function loadMasterKey(options: {
  stateDir: string;
  prefer: "auto" | "keyring" | "file";
  keyring?: Keyring;
  /** The keyring key's description (KEYRING_DESCRIPTION; tests use their own). */
  description?: string;
}): MasterKey {
  const keyring = options.keyring ?? addon;
  if (options.prefer !== "file") {
    const found = fromKeyring(keyring, options.description ?? KEYRING_DESCRIPTION);
    if (found) return found;
    if (options.prefer === "keyring") {
      throw new Error(
        'the kernel keyring cannot hold ccmux\'s journal key here (no key support, or a seccomp filter refuses keyctl): set persist.masterKey to "file" or "auto"',
      );
    }
  }
  return fromFile(options.stateDir);
}

/** Where the master key is, or would be made, and any problem with it: for `ccmux doctor` (makes nothing). */
export function describeMasterKey(options: {
  stateDir: string;
  prefer: "auto" | "keyring" | "file";
  keyring?: Keyring & { keyringRemove(description: string): boolean };
}): { source: MasterKeySource; where: string; present: boolean; problem?: string } {
  const keyring = options.keyring ?? addon;
  if (options.prefer !== "file") {
    try {
      if (keyring.keyringRead(KEYRING_DESCRIPTION) !== null)
        return { source: "keyring", where: KEYRING_DESCRIPTION, present: true };
      // Whether a key can be added here: a probe key, removed at once.
      const probe = `ccmux:doctor-probe-${process.pid}`;
      keyring.keyringAdd(probe, Buffer.from([0]));
      keyring.keyringRemove(probe);
      return { source: "keyring", where: KEYRING_DESCRIPTION, present: false };
    } catch (error) {
      if (options.prefer === "keyring") {
        return {
          source: "keyring",
          where: KEYRING_DESCRIPTION,
          present: false,
          problem: `the kernel keyring cannot be used here: ${(error as Error).message}`,
        };
      }
    }
  }
  const path = join(options.stateDir, KEY_FILE);
  try {
    const stat = lstatSync(path);
    const problem = privacyProblem(stat, path, "file", currentUid());
    return { source: "file", where: path, present: true, ...(problem ? { problem: problem.message } : {}) };
  } catch {
    return { source: "file", where: path, present: false };
  }
}

function fromKeyring(keyring: Keyring, where: string): MasterKey | undefined {
  let key: Buffer | null;
  try {
    key = keyring.keyringRead(where);
    if (key === null) {
      keyring.keyringAdd(where, randomBytes(KEY_BYTES));
      key = keyring.keyringRead(where);
    }
  } catch {
    return undefined;
  }
  if (key === null) return undefined;
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `the keyring key ${where} is ${key.length} bytes, not ${KEY_BYTES}: something else made it; remove it (keyctl purge user ${where})`,
    );
  }
  return { key, source: "keyring", where };
}

function fromFile(stateDir: string): MasterKey {
  const uid = currentUid();
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const dirProblem = privacyProblem(lstatSync(stateDir), stateDir, "directory", uid);
  if (dirProblem) throw new Error(`ccmux's journal key directory: ${dirProblem.message}`);
  const path = join(stateDir, KEY_FILE);
  let fd: number;
  let created = false;
  try {
    // O_EXCL: never through a planted symlink, never over a file someone else made first.
    fd = openSync(
      path,
      constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o600,
    );
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    fd = openKeyFile(path);
  }
  try {
    const stat = fstatSync(fd);
    const problem = privacyProblem(stat, path, "file", uid);
    if (problem) throw new Error(`ccmux's journal key file: ${problem.message}`);
    if (created) {
      writeSync(fd, randomBytes(KEY_BYTES));
      fsyncSync(fd);
    }
    const key = Buffer.alloc(KEY_BYTES + 1);
    const length = readSync(fd, key, 0, key.length, 0);
    if (length !== KEY_BYTES) {
      throw new Error(
        `ccmux's journal key file ${path} is ${length} bytes, not ${KEY_BYTES}: it is damaged; remove it (its journals cannot be read any more)`,
      );
    }
    return { key: key.subarray(0, KEY_BYTES), source: "file", where: path };
  } finally {
    closeSync(fd);
  }
}

function openKeyFile(path: string): number {
  try {
    // O_NONBLOCK: a FIFO put in the key file's place would hang the daemon at start (an attack review); fstat
    // then refuses anything but a regular file.
    return openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") {
      throw new Error(
        `ccmux's journal key file ${path} is a symbolic link; ccmux never follows links here: remove it`,
      );
    }
    throw error;
  }
}
