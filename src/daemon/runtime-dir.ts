import { lstatSync, mkdirSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { currentUid, privacyProblem } from "../shared/owner-check.js";
import { DaemonDirError } from "./daemon-errors.js";

/**
 * The per-user directory holding the daemons' sockets, locks, info files and logs: `$XDG_RUNTIME_DIR/ccmux` when
 * XDG_RUNTIME_DIR is set, absolute, and (by lstat) a real directory owned by `uid` with no group or other write
 * bit; otherwise `/tmp/ccmux-UID` (tmux's `/tmp/tmux-UID`). Pure apart from one lstat; creates nothing.
 */
export function socketDirPath(env: NodeJS.ProcessEnv = process.env, uid: number = currentUid()): string {
  const runtime = env.XDG_RUNTIME_DIR;
  // Security: an XDG_RUNTIME_DIR another user controls (inherited through sudo, su, a shared script) would put
  // the sockets where that user can replace them: it is used only when it is ours and not writable by others.
  if (runtime && isAbsolute(runtime)) {
    try {
      const st = lstatSync(runtime);
      if (st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0) return join(runtime, "ccmux");
    } catch {
      // missing or unreadable: fall back like tmux does
    }
  }
  return `/tmp/ccmux-${uid}`;
}

/**
 * Checks, without creating anything, that `path` is the daemon directory as ccmux makes it: by lstat a real
 * directory (not a symlink), owned by `uid`, no group/other bits, usable by its owner. Throws DaemonDirError
 * (reason `missing` when it does not exist).
 */
export function checkSocketDir(path: string, uid: number = currentUid()): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new DaemonDirError("missing", path, `${path} does not exist`, { cause: error });
    throw new DaemonDirError("io", path, `cannot inspect ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const problem = privacyProblem(st, path, "directory", uid);
  if (problem) throw new DaemonDirError(problem.reason, path, `ccmux's socket directory ${problem.message}`);
  if ((st.mode & 0o700) !== 0o700)
    throw new DaemonDirError(
      "unusable",
      path,
      `ccmux's socket directory ${path} is mode 0${(st.mode & 0o777).toString(8)}; its owner needs rwx: run chmod 700 ${path}`,
    );
}

/**
 * Creates the daemon directory `path` with mode 0700 if it is missing, then checks it (checkSocketDir). Only the
 * last component is created: the parent must exist. A directory that already existed is never chmod'ed or
 * chown'ed: a wrong one is refused with a DaemonDirError saying how to fix it. Safe against a concurrent mkdir
 * (EEXIST: whatever is there is checked by lstat).
 */
export function ensureSocketDir(path: string, uid: number = currentUid()): void {
  try {
    // Security: mkdir -p through a path someone else controls could create our directory inside theirs; only
    // the last component is made, and its mode never widens beyond 0700 (umask can only narrow it).
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new DaemonDirError(
        "missing-parent",
        path,
        `cannot create ccmux's socket directory ${path}: its parent ${dirname(path)} does not exist (ccmux creates only the last component); create the parent, or set XDG_RUNTIME_DIR`,
        { cause: error },
      );
    if (code !== "EEXIST")
      throw new DaemonDirError(
        "io",
        path,
        `cannot create ccmux's socket directory ${path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
  }
  checkSocketDir(path, uid);
}
