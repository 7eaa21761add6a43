import type { Stats } from "node:fs";

/** This process's real uid. Throws on a platform without one (ccmux's daemon is POSIX only). */
export function currentUid(): number {
  const uid = process.getuid?.();
  if (uid === undefined) throw new Error("the ccmux daemon needs a POSIX system (process.getuid is missing)");
  return uid;
}

/** The permission bits as the person types them for chmod: `0755`. */
export function modeText(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
}

/** What an lstat/fstat result is, in words: "a symbolic link", "a FIFO", … */
export function kindText(st: Stats): string {
  if (st.isSymbolicLink()) return "a symbolic link";
  if (st.isDirectory()) return "a directory";
  if (st.isFile()) return "a regular file";
  if (st.isSocket()) return "a socket";
  if (st.isFIFO()) return "a FIFO";
  return "a device or other special file";
}

export type Expected = "directory" | "file" | "socket";

/** One thing wrong with a daemon path's ownership, type or mode, with the sentence that says how to fix it. */
export interface PrivacyProblem {
  reason: "symlink" | "wrong-type" | "foreign-owner" | "loose-mode";
  message: string;
}

/**
 * Checks an lstat/fstat result the way tmux checks its socket directory and OpenSSH its agent socket: the
 * expected kind (never a symlink), owned by `uid`, no group or other permission bits. Undefined when it passes.
 * The one place the daemon's "ours and private" rule lives.
 */
export function privacyProblem(
  st: Stats,
  path: string,
  expected: Expected,
  uid: number,
): PrivacyProblem | undefined {
  const chmod = expected === "directory" ? "700" : "600";
  // Security: symlink hijack — a link planted where ccmux expects its own directory or file would send the
  // daemon's socket, lock or info file into a place another user controls.
  if (st.isSymbolicLink())
    return {
      reason: "symlink",
      message: `${path} is a symbolic link, not a ${expected}; ccmux never follows links here: remove it (rm ${path})`,
    };
  const right =
    expected === "directory" ? st.isDirectory() : expected === "file" ? st.isFile() : st.isSocket();
  if (!right)
    return {
      reason: "wrong-type",
      message: `${path} is ${kindText(st)}, not a ${expected}; remove it or move it aside`,
    };
  // Security: foreign owner — another user who created this first (e.g. /tmp/ccmux-UID) could read, replace or
  // plant files in it, or be the process behind a socket.
  if (st.uid !== uid)
    return {
      reason: "foreign-owner",
      message: `${path} belongs to uid ${st.uid}, not to uid ${uid}; someone else made it: have it removed (as root: rm -r ${path})${expected === "directory" ? ", or set XDG_RUNTIME_DIR to a directory of your own" : ""}`,
    };
  // Security: loose mode — group or other permission bits let other users list, plant or connect.
  if ((st.mode & 0o077) !== 0)
    return {
      reason: "loose-mode",
      message: `${path} is mode ${modeText(st.mode)}; other users have access to it: run chmod ${chmod} ${path}`,
    };
  return undefined;
}
