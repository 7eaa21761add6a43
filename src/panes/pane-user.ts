import { execFileSync } from "node:child_process";
import { type Stats, statSync } from "node:fs";
import { dirname } from "node:path";

/** The host account a pane's program runs as when the server is root. */
export interface PaneUser {
  uid: number;
  gid: number;
  /** Login name, or the uid as text when the account has no passwd entry. */
  name: string;
  /** Home directory from the passwd entry ("" when there is none). */
  home: string;
}

/** Fallback account when root owns the workspace. */
const DEFAULT_USER = "nobody";

/**
 * Who panes run as. Undefined when the server is not root: panes then run as the server's own user, as
 * before. Under root: `setting` (`sandbox.user`, a name or uid) when given; else the owner of the first
 * workspace root when that is not root; else `nobody`.
 * Security: a root server's panes never act as host root. Without this, a capability-less uid 0 still owns
 * /proc/sys (writable `kernel.core_pattern` runs a program as real root in the host's namespaces) and reads
 * root-only files such as /etc/shadow. `--unshare-user --uid N` alone does not help: N maps back to root.
 * @throws Error naming the setting when the account cannot be found or is uid 0.
 */
export function resolvePaneUser(
  setting: string | number | undefined,
  workspace: readonly string[],
  serverUid: number | undefined = process.getuid?.(),
): PaneUser | undefined {
  if (serverUid !== 0) return undefined;
  const wanted = setting ?? workspaceOwner(workspace) ?? DEFAULT_USER;
  const user = lookupUser(wanted);
  if (user === undefined) {
    if (typeof wanted !== "number") throw new Error(`sandbox.user: no host user named "${wanted}".`);
    return refuseRoot({ uid: wanted, gid: wanted, name: String(wanted), home: "" });
  }
  return refuseRoot(user);
}

function refuseRoot(user: PaneUser): PaneUser {
  if (user.uid === 0 || user.gid === 0) {
    throw new Error(`sandbox.user: "${user.name}" is root (uid or gid 0); panes never run as host root.`);
  }
  return user;
}

/** The uid owning the first workspace root, unless root owns it. */
function workspaceOwner(workspace: readonly string[]): number | undefined {
  const first = workspace[0];
  if (first === undefined) return undefined;
  try {
    const uid = statSync(first).uid;
    return uid === 0 ? undefined : uid;
  } catch {
    return undefined;
  }
}

/** The passwd entry for a name or uid, through NSS (`getent`), so directory-service accounts resolve too. */
function lookupUser(key: string | number): PaneUser | undefined {
  let line: string;
  try {
    line =
      execFileSync("getent", ["passwd", String(key)], { encoding: "utf8", timeout: 5000 }).split("\n")[0] ??
      "";
  } catch {
    return undefined;
  }
  const [name, , uid, gid, , home] = line.split(":");
  if (
    name === undefined ||
    uid === undefined ||
    gid === undefined ||
    !/^\d+$/.test(uid) ||
    !/^\d+$/.test(gid)
  )
    return undefined;
  return { uid: Number(uid), gid: Number(gid), name, home: home ?? "" };
}

/** The permission bits `user` gets on `stat` (owner, else group, else other), as rwx in the low three bits. */
function bitsFor(stat: Stats, user: PaneUser): number {
  if (stat.uid === user.uid) return (stat.mode >> 6) & 7;
  if (stat.gid === user.gid) return (stat.mode >> 3) & 7;
  return stat.mode & 7;
}

/**
 * Whether `user` can reach `path` (search every directory above it) and then read, write or execute it, by
 * mode bits alone (ACLs and supplementary groups are not consulted: a pane user has none of the latter).
 * Used to warn at start, never to decide: the kernel decides when the pane runs.
 */
export function userCan(user: PaneUser, path: string, want: "r" | "w" | "x"): boolean {
  const need = { r: 4, w: 2, x: 1 }[want];
  try {
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if ((bitsFor(statSync(dir), user) & 1) === 0) return false;
      if (dir === "/") break;
    }
    const stat = statSync(path);
    // A directory is usable for writing only when it can also be searched.
    const bits = bitsFor(stat, user);
    return (bits & need) !== 0 && (!stat.isDirectory() || want === "x" || (bits & 1) !== 0);
  } catch {
    return false;
  }
}
