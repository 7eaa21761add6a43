/** What is wrong with the daemon's socket directory (DaemonDirError.reason). */
export type DirProblem =
  /** The directory does not exist (only from checks that do not create it). */
  | "missing"
  /** Its parent does not exist: ccmux creates only the last component, never a whole path. */
  | "missing-parent"
  /** The path is a symbolic link, not a directory. */
  | "symlink"
  /** Something other than a directory is there. */
  | "wrong-type"
  /** It belongs to another uid. */
  | "foreign-owner"
  /** Group or other users have permission bits on it. */
  | "loose-mode"
  /** Its owner lacks read, write or search permission on it. */
  | "unusable"
  /** mkdir or lstat failed for another reason (errno in the message). */
  | "io";

/**
 * The per-user socket directory cannot be trusted or created. `message` tells the person what is wrong and how
 * to fix it; `reason` is stable for code; `path` is the directory.
 */
export class DaemonDirError extends Error {
  override readonly name = "DaemonDirError";
  constructor(
    readonly reason: DirProblem,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why a daemon file (info file, lock file, socket) cannot be trusted (DaemonUntrusted.reason). */
export type UntrustedReason =
  /** The file does not exist. */
  | "missing"
  /** The path is a symbolic link. */
  | "symlink"
  /** Not the expected kind of file (a FIFO, a directory, a regular file where a socket belongs, …). */
  | "wrong-type"
  /** It belongs to another uid. */
  | "foreign-owner"
  /** Group or other users have permission bits on it. */
  | "loose-mode"
  /** The content is not a daemon info file of this version (unknown field, wrong type, too big, not JSON). */
  | "malformed"
  /** open/read/fstat failed for another reason (errno in the message). */
  | "io";

/** A daemon file is not what ccmux itself would have written: the caller refuses to use it. */
export class DaemonUntrusted extends Error {
  override readonly name = "DaemonUntrusted";
  constructor(
    readonly reason: UntrustedReason,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
