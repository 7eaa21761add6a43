import { randomBytes } from "node:crypto";
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import type { Server } from "node:net";
import { join } from "node:path";
import { currentUid, privacyProblem } from "../shared/owner-check.js";
import { DaemonUntrusted } from "./daemon-errors.js";

/**
 * A fresh socket path `<dir>/<16 random hex>.sock` (SOCKET_NAME). Security: a name nobody can predict cannot be
 * squatted or pre-planted before the daemon binds it (a fixed name could be taken first).
 */
export function newSocketPath(dir: string): string {
  return join(dir, `${randomBytes(8).toString("hex")}.sock`);
}

/** sun_path holds 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Listens on the Unix socket `path` so that only this uid can ever connect: bind() runs under umask 077 (the
 * socket is born 0700, never briefly world-connectable), then chmod 0600, then lstat confirms a socket of ours
 * with no group/other bits (OpenSSH's ssh-agent and tmux do the same). Resolves once listening; rejects on a
 * listen error (EADDRINUSE when something is there: remove a stale socket first, holding the lock) and with
 * DaemonUntrusted when the check fails (the server is closed then). Must run on the main thread (process.umask).
 */
export async function listenPrivate(server: Server, path: string, uid: number = currentUid()): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
    throw new Error(
      `the socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes (the Unix socket limit); use a shorter directory`,
    );
  const listening = new Promise<void>((resolve, reject) => {
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(error);
    };
    server.once("error", onError);
    server.once("listening", onListening);
  });
  // Security: a socket bound under the usual 022 umask is connectable by every local user until the chmod
  // below; bind() is synchronous inside listen(), so the 077 umask covers exactly it.
  const previous = process.umask(0o077);
  try {
    server.listen(path);
  } finally {
    process.umask(previous);
  }
  await listening;
  try {
    chmodSync(path, 0o600);
    const problem = privacyProblem(lstatSync(path), path, "socket", uid);
    if (problem) throw new DaemonUntrusted(problem.reason, path, `the daemon socket ${problem.message}`);
  } catch (error) {
    server.close();
    throw error;
  }
}

/**
 * Unlinks `path` only when lstat says it is a socket owned by `uid` (a dead daemon's). True when it removed one;
 * false when nothing is there or what is there is not ours to remove (a regular file, a symlink, another uid's
 * socket: left alone). Call it only while holding the DaemonLock: then no live daemon is listening on it.
 */
export function removeStaleSocket(path: string, uid: number = currentUid()): boolean {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return false;
  }
  // Security: a symlink or another user's file at the old socket's name is never unlinked on their behalf.
  if (!st.isSocket() || st.uid !== uid) return false;
  try {
    unlinkSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
