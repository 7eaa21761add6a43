import type { ShellDialect } from "../../shared/shell-variables.js";
import { SWITCH_CAPABILITIES, switchUserArgv, type UserSwitch } from "../user-switch.js";
import type { Mount } from "./mount-plan.js";

export interface BwrapInvocation {
  mounts: readonly Mount[];
  /** Give the pane the host's network (default: a private namespace with only its own loopback). */
  network: boolean;
  cwd: string;
  /** The descriptor bwrap reads the seccomp program from (inherited, not close-on-exec). */
  seccompFd: number;
  /**
   * The program's argv, absolute executable first; or, for a sandbox built before its spawn (a spare, issue 16),
   * the inherited descriptor its launcher reads the program from (native/pane-launcher.c `await`).
   */
  program: { argv: readonly string[] } | { requestFd: number };
  /**
   * An empty regular file to bind over hidden files. Not /dev/null: bwrap's binds are nodev, so a device
   * would answer EACCES and break programs that merely read an optional file such as ~/.npmrc.
   */
  emptyFile: string;
  /** Under a root server: the unprivileged host user the program runs as (bwrap itself stays root). */
  userSwitch?: UserSwitch;
  /** The pane launcher (native/pane-launcher.c) on the host, and the inherited descriptor it reports on. */
  launcher: { path: string; statusFd: number };
  /**
   * A validated shell (issue 14): its process group of its own, in front (the launcher's `run-group`), and its
   * native builtins (non-dumpable, getcwd: bash's loadable builtins file, zsh's module directory), bound read-only
   * at SHELL_BUILTINS_IN_SANDBOX[dialect].
   */
  shell?: { dialect: ShellDialect; builtins: string };
}

/** Where a validated shell's native builtins (native/shell-builtins.c, native/zsh-module.c) are bound inside the sandbox. */
export const SHELL_BUILTINS_IN_SANDBOX: Record<ShellDialect, string> = {
  bash: "/dev/.ccmux-shell-builtins",
  zsh: "/dev/.ccmux-zsh-module",
};

/**
 * Where the launcher is bound, read-only, inside every sandbox: bwrap's own /dev tmpfs, which exists in every
 * sandbox and is nobody's workspace. The host path may be one the pane user cannot reach (under /root).
 */
export const LAUNCHER_IN_SANDBOX = "/dev/.ccmux-pane-launcher";

/**
 * The program's argv behind the launcher's `run`: it forks the program with default signal dispositions and
 * reports its real end on `statusFd` (see native/pane-launcher.c).
 */
export function launcherRunArgv(statusFd: number, argv: readonly string[], ownGroup = false): string[] {
  return [LAUNCHER_IN_SANDBOX, ownGroup ? "run-group" : "run", String(statusFd), "--", ...argv];
}

/**
 * A spare's last exec before the program: the launcher waits for the program on `requestFd`, then runs it as
 * `run` would.
 */
export function launcherAwaitArgv(statusFd: number, requestFd: number): string[] {
  return [LAUNCHER_IN_SANDBOX, "await", String(statusFd), String(requestFd)];
}

/** The program's argv as the launcher execs it: under a root server, through setpriv as the pane user. */
function programArgv(argv: readonly string[], change: UserSwitch | undefined): readonly string[] {
  return change ? switchUserArgv(change, argv) : argv;
}

/**
 * The host argv that starts bwrap through the launcher's `hold`: every signal blocked, so bwrap and what runs
 * before the program stay in the terminal's foreground group without being killed by its signals.
 */
export function launcherHoldArgv(launcher: string, bwrapArgv: readonly string[]): string[] {
  return [launcher, "hold", "--", ...bwrapArgv];
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

/** Every proper ancestor of an absolute path, outermost first ("/a/b/c" → "/a", "/a/b"). */
function ancestors(path: string): string[] {
  const parts = path.split("/").filter((part) => part !== "");
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
}

/**
 * The mounts' arguments. Under a user switch, each mount is preceded by `--dir` for its ancestors: bwrap run as
 * root makes missing mount-point parents (inside /tmp or a hidden directory's tmpfs) mode 0700 and root's, which
 * the pane user could not pass to reach its own workspace or session directory. `--dir` on an existing
 * directory changes nothing; a new one is 0755 and empty but for the mount point.
 */
function mountsArgs(mounts: readonly Mount[], emptyFile: string, makeParents: boolean): string[] {
  if (!makeParents) return mounts.flatMap((mount) => mountArgs(mount, emptyFile));
  const made = new Set<string>();
  const out: string[] = [];
  for (const mount of mounts) {
    for (const dir of ancestors(mount.path)) {
      if (made.has(dir)) continue;
      made.add(dir);
      out.push("--dir", dir);
    }
    out.push(...mountArgs(mount, emptyFile));
    // A fresh tmpfs covers the directories made beneath it: make them again for later mounts.
    if (mount.op === "tmpfs" || mount.op === "ro-empty") {
      for (const dir of made) if (dir.startsWith(`${mount.path}/`)) made.delete(dir);
    }
  }
  return out;
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
 * - Under a root server, the program runs as an unprivileged host user (setpriv, after bwrap has built the
 *   mounts as root): only the three capabilities setpriv needs to switch reach it, and it drops them.
 * - `--die-with-parent`: the pane cannot outlive a crashed server.
 * - The launcher's `run` is the last exec before the program: the program gets default signal dispositions, and
 *   its real exit status (or the signal that ended it) reaches the server, which bwrap would report as 128+N. A
 *   spare's launcher (`await`) waits for the program on a pipe only the server writes, then does the same.
 * The environment is not passed with --setenv: bwrap's argv is world-readable in /proc/<pid>/cmdline. The
 * child gets bwrap's own environment, which the caller built from the policy alone.
 */
export function bwrapArgs(invocation: BwrapInvocation): string[] {
  const change = invocation.userSwitch;
  // Security: hidden exit status (`kill -STOP $PPID` from the program). Under a root server the launcher runs
  // before setpriv, as root without the capabilities bwrap dropped, so the program (another uid) cannot signal
  // it; a non-root server's launcher shares the program's uid (README: known difference).
  const { program, launcher } = invocation;
  const run =
    "requestFd" in program
      ? launcherAwaitArgv(launcher.statusFd, program.requestFd)
      : launcherRunArgv(launcher.statusFd, programArgv(program.argv, change), invocation.shell !== undefined);
  const shell = invocation.shell
    ? ["--ro-bind", invocation.shell.builtins, SHELL_BUILTINS_IN_SANDBOX[invocation.shell.dialect]]
    : [];
  return [
    "--die-with-parent",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    ...(invocation.network ? [] : ["--unshare-net"]),
    "--cap-drop",
    "ALL",
    ...(change ? SWITCH_CAPABILITIES.flatMap((cap) => ["--cap-add", cap]) : []),
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    // A root server's pane runs as an unprivileged user: the private /tmp must be writable by it, as the host's
    // is (sticky, so panes of other users could not remove each other's files were they to share it).
    "--perms",
    "01777",
    "--tmpfs",
    "/tmp",
    ...mountsArgs(invocation.mounts, invocation.emptyFile, change !== undefined),
    "--ro-bind",
    invocation.launcher.path,
    LAUNCHER_IN_SANDBOX,
    ...shell,
    "--chdir",
    invocation.cwd,
    "--seccomp",
    String(invocation.seccompFd),
    "--",
    ...run,
  ];
}
