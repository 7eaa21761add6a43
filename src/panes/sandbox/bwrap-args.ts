import type { Mount } from "./mount-plan.js";

export interface BwrapInvocation {
  mounts: readonly Mount[];
  /** Give the pane the host's network (default: a private namespace with only its own loopback). */
  network: boolean;
  cwd: string;
  /** The descriptor bwrap reads the seccomp program from (inherited, not close-on-exec). */
  seccompFd: number;
  /** The program's argv, absolute executable first. */
  argv: readonly string[];
  /**
   * An empty regular file to bind over hidden files. Not /dev/null: bwrap's binds are nodev, so a device
   * would answer EACCES and break programs that merely read an optional file such as ~/.npmrc.
   */
  emptyFile: string;
}

function mountArgs(mount: Mount, emptyFile: string): string[] {
  switch (mount.op) {
    case "tmpfs":
      return ["--tmpfs", mount.path];
    case "empty-file":
      return ["--ro-bind", emptyFile, mount.path];
    case "bind":
      return ["--bind", mount.path, mount.path];
    case "ro-bind":
      return ["--ro-bind", mount.path, mount.path];
    case "ro-empty":
      return ["--tmpfs", mount.path, "--remount-ro", mount.path];
    case "symlink":
      return ["--symlink", mount.target, mount.path];
    case "ro-bind-try":
      return ["--ro-bind-try", mount.path, mount.path];
  }
}

/**
 * bubblewrap's argv for one pane (never a shell string). What each part stops:
 * - PID namespace and a private /proc: other panes and the server are invisible, so their
 *   /proc/<pid>/environ cannot be read (seed §1.2) nor their processes signalled or traced.
 * - A private /dev with its own devpts: other panes' /dev/pts/N do not exist, so fake output cannot be
 *   written into them; the pane keeps its own terminal on fds 0–2 and as controlling terminal.
 * - No `--new-session`: it would detach the controlling terminal and break job control; TIOCSTI is stopped
 *   by the seccomp filter instead (seed §4.1).
 * - IPC and UTS namespaces; network namespace unless the policy gives network (then abstract unix sockets
 *   of the host are reachable too).
 * - `/` read-only, /tmp private, secrets hidden, workspace read-write, hooks read-only (see mount-plan.ts).
 * - All capabilities dropped (bwrap keeps them for root otherwise); bwrap always sets no_new_privs.
 * - `--die-with-parent`: the pane cannot outlive a crashed server.
 * The environment is not passed with --setenv: bwrap's argv is world-readable in /proc/<pid>/cmdline. The
 * child gets bwrap's own environment, which the caller built from the policy alone.
 */
export function bwrapArgs(invocation: BwrapInvocation): string[] {
  return [
    "--die-with-parent",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    ...(invocation.network ? [] : ["--unshare-net"]),
    "--cap-drop",
    "ALL",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
    ...invocation.mounts.flatMap((mount) => mountArgs(mount, invocation.emptyFile)),
    "--chdir",
    invocation.cwd,
    "--seccomp",
    String(invocation.seccompFd),
    "--",
    ...invocation.argv,
  ];
}
