import type { PaneUser } from "./pane-user.js";

/** How a root server starts a pane's program as an unprivileged host user. */
export interface UserSwitch {
  user: PaneUser;
  /** Absolute path of util-linux `setpriv`, found on the server's PATH. */
  setpriv: string;
}

/** What setpriv needs to switch user inside bwrap, which drops every other capability first. */
export const SWITCH_CAPABILITIES: readonly string[] = ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"];

/**
 * `argv` run as the pane user: real, effective and saved uid and gid switched, supplementary groups cleared
 * (root's group 0 would otherwise stay), inheritable and bounding capability sets emptied, no_new_privs set
 * (setuid programs such as su gain nothing). setpriv execs the program, so no process is added.
 * Security: this is what keeps a root server's panes from acting as host root (see pane-user.ts).
 */
export function switchUserArgv(change: UserSwitch, argv: readonly string[]): string[] {
  const { uid, gid } = change.user;
  return [
    change.setpriv,
    `--reuid=${uid}`,
    `--regid=${gid}`,
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
    "--",
    ...argv,
  ];
}

/** HOME, USER and LOGNAME, where the policy passes them, name the pane user rather than root. */
export function userEnv(user: PaneUser, env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  if ("HOME" in out && user.home !== "") out.HOME = user.home;
  if ("USER" in out) out.USER = user.name;
  if ("LOGNAME" in out) out.LOGNAME = user.name;
  return out;
}
