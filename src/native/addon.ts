import { fileURLToPath } from "node:url";

/** ccmux's small native helper (native/fd-flags.c): the descriptor and process calls Node lacks. */
export interface FdAddon {
  setCloexec(fd: number, on: boolean): void;
  flock(fd: number, lock: boolean): void;
  /** flock(LOCK_EX | LOCK_NB): true when taken. */
  tryFlock(fd: number): boolean;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants come to this process, not init. Throws EPRCTL. */
  setChildSubreaper(): void;
  /**
   * prctl(PR_SET_DUMPABLE, 0): same-uid processes can no longer ptrace this one, read its memory, environ or fds
   * in /proc, or copy its descriptors (pidfd_getfd); no core dumps. Throws EPRCTL.
   */
  setNonDumpable(): void;
  /** waitpid(pid, WNOHANG): true when the exited child was reaped; false if still running or not our child. */
  reapChild(pid: number): boolean;
  /** Bytes written to the pty master `fd` that the program has not read yet; -1 when the kernel cannot tell. */
  ptyInputQueued(fd: number): number;
  /**
   * A new descriptor for the same open pty master as `fd`, close-on-exec from the start (fcntl F_DUPFD_CLOEXEC).
   * Throws EDUP (EMFILE: the process has no descriptor left).
   */
  dupCloexec(fd: number): number;
  /**
   * node-pty's native `fork(file, args, env, cwd, cols, rows, uid, gid, utf8, helperPath, onexit)` made with
   * posix_spawn instead of forkpty (native/pty-spawn.c): `{ fd, pid, pty }` (the master, non-blocking and
   * close-on-exec; the child; the slave's path), and onexit(exitCode, signal) on this thread once the child is reaped.
   * `file` must be absolute and uid and gid -1. Throws EPTYSPAWN (errno's text) when the pty, the spawn or the exit
   * watch (pidfd_open) fails; nothing is left running then.
   */
  ptySpawn(
    file: string,
    args: string[],
    env: string[],
    cwd: string,
    cols: number,
    rows: number,
    uid: number,
    gid: number,
    utf8: boolean,
    helperPath: string,
    onexit: (exitCode: number, signal: number) => void,
  ): { fd: number; pid: number; pty: string };
  /** The foreground process group of the pty whose master is `fd` (tcgetpgrp); -1 when the kernel cannot tell. */
  foregroundGroup(fd: number): number;
  /** Discards input written to the pty master `fd` that the program has not read (tcflush TCIFLUSH). */
  flushPtyInput(fd: number): boolean;
  /**
   * pipe2(O_CLOEXEC): [readFd, writeFd], the read end non-blocking unless `nonBlockingRead` is false (a pipe a
   * child reads with blocking reads). Throws EPIPE2.
   */
  makePipe(nonBlockingRead?: boolean): [number, number];
  /**
   * getsockopt(fd, SOL_SOCKET, SO_PEERCRED) on a connected Unix socket: the peer's pid, uid and gid as the kernel
   * recorded them at connect() (for the server's side) or listen() (for the client's side). Throws EPEERCRED with
   * errno's text and number (e.g. ENOTSOCK, ENOTCONN, EBADF).
   */
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  /**
   * execv(file, argv) with this process's environment: the same pid, descriptors and parent, another program
   * image. Returns only by throwing EEXEC (errno's text, or arguments that are not strings without NUL).
   */
  execInPlace(file: string, argv: string[]): never;
  /**
   * The payload of "user" key `description` in this uid's user keyring (keyrings(7)), or null when there is none
   * or the keyring cannot be used here (no kernel support, a seccomp filter). Throws EKEYRING otherwise.
   */
  keyringRead(description: string): Buffer | null;
  /** Adds or replaces "user" key `description` in the user keyring, readable only by its possessors; its serial. */
  keyringAdd(description: string, payload: Buffer): number;
  /** Invalidates "user" key `description` in the user keyring; false when there was none. */
  keyringRemove(description: string): boolean;
  /**
   * Joins a new anonymous session keyring, which children inherit instead of this process's login one (that one
   * links the user keyring, and its possessors read the user's keys). False when keyrings are refused here.
   */
  keyringNewSession(): boolean;
  /** inotify_init1(IN_NONBLOCK | IN_CLOEXEC): a new inotify instance. Throws EWATCH (EMFILE: max_user_instances). */
  watchOpen(): number;
  /**
   * inotify_add_watch(fd, path, mask): the watch descriptor, or minus errno (ENOENT, EACCES, ENOTDIR; ENOSPC when
   * the uid has max_user_watches already; ENAMETOOLONG, EINVAL for a path holding NUL). Never throws for these.
   */
  watchAdd(fd: number, path: string, mask: number): number;
  /** The inotify events queued on `fd`, packed as the kernel writes them (at most 64 KiB a call); null when none. */
  watchRead(fd: number): Buffer | null;
  /** poll(fd, POLLPRI, no wait): for /proc/self/mountinfo, whether the mount table changed since the last look. */
  pollPriority(fd: number): boolean;
  /**
   * Whether directory `path` looks names up without regard to case (FS_CASEFOLD_FL): 1 yes, 0 no (or the file
   * system keeps no such flags), -1 when it cannot be opened as a directory.
   */
  caseFolded(path: string): number;
  /**
   * Every process's /proc/<pid>/stat, parsed (native/proc-stats.c): 9 numbers a process, in order pid, ppid, pgrp,
   * session, tty_nr, tpgid, num_threads, starttime (clock ticks since boot), zombie (1 or 0). Processes that exit
   * while it reads are left out. Throws EPROC when /proc cannot be listed.
   */
  procStats(): Float64Array;
  /** The 9 numbers of procStats for one process, or null when it is gone. */
  procStat(pid: number): Float64Array | null;
}

// Built by `npm install` (binding.gyp) into build/Release, two levels above both src/native and dist/native. Loaded
// with process.dlopen, as require would: node:module (and the source map support it brings) is not needed for it.
export const addon = loadAddon<FdAddon>("../../build/Release/fd_flags.node");

function loadAddon<T>(relative: string): T {
  const module = { exports: {} as T };
  process.dlopen(module, fileURLToPath(new URL(relative, import.meta.url)));
  return module.exports;
}

/**
 * The pane launcher executable (native/pane-launcher.c), built beside the addon: `hold` wraps bwrap on the host,
 * `run` starts the program inside the sandbox and reports its real exit status.
 */
export const PANE_LAUNCHER = fileURLToPath(new URL("../../build/Release/pane_launcher", import.meta.url));

/**
 * The native builtins a validated shell loads (`ccmux_nodump`: non-dumpable, `ccmux_cwd`: getcwd, `ccmux_tty`),
 * built beside the addon: bash's loadable builtins file (native/shell-builtins.c), and the directory holding zsh's
 * module ccmux_shell.so (native/zsh-module.c; built only where zsh's headers are installed, zsh-dev).
 */
export const SHELL_BUILTINS: { readonly bash: string; readonly zsh: string } = {
  bash: fileURLToPath(new URL("../../build/Release/ccmux_shell_builtins.node", import.meta.url)),
  zsh: fileURLToPath(new URL("../../build/Release/zsh", import.meta.url)),
};

/** The file zsh loads from SHELL_BUILTINS.zsh (`zmodload ccmux_shell`). */
export const ZSH_MODULE_FILE = "ccmux_shell.so";
