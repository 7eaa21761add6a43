import { readdirSync, readFileSync } from "node:fs";
import type { Mount } from "./mount-plan.js";
import { lstatOrNull } from "./plan-reads.js";

/** How deep a spare's process chain may go: the launcher's hold, bwrap, bwrap's init, the launcher. */
const MAX_CHAIN = 8;

/**
 * The mount points (as paths inside it, decoded) of the sandbox a spare built: read from /proc/<pid>/mountinfo of
 * the innermost process under `rootPid` (the spare's pty process), which lives in the sandbox's mount namespace
 * once bwrap has built it. Undefined when the chain cannot be followed or read (the spare is then not used).
 * mountinfo needs no ptrace access: it reads the same for a launcher that is not dumpable.
 */
export function spareMountPoints(rootPid: number): string[] | undefined {
  let innermost = rootPid;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const children = childrenOf(innermost);
    if (children === undefined) return undefined;
    // The chain has one child at each step until the program is sent; more means it is not a waiting spare.
    if (children.length > 1) return undefined;
    const [child] = children;
    if (child === undefined) break;
    innermost = child;
  }
  if (innermost === rootPid) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${innermost}/mountinfo`, "utf8");
  } catch {
    return undefined;
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => decodeMountPath(line.split(" ")[4] ?? ""));
}

/**
 * Whether every mount the plan made is still in the sandbox (`points`: spareMountPoints), as many times as the
 * plan mounts on each path: a `--ro-bind-try` only where its path exists now (the fit check made sure it did
 * when the spare was built).
 *
 * Security: a mount in the spare's namespace is dropped when the host removes the path it sits on (Linux
 * detaches mounts on a dentry that is unlinked in another namespace). A person who deletes ~/.ssh or a
 * protected .git and makes it again leaves the spare with nothing over the new one, while the new file may get
 * the old inode number and pass the identity check (an attack review): such a spare is not used.
 */
export function mountsAttached(mounts: readonly Mount[], points: readonly string[]): boolean {
  const present = new Map<string, number>();
  for (const point of points) present.set(point, (present.get(point) ?? 0) + 1);
  const wanted = new Map<string, number>();
  for (const mount of mounts) {
    if (mount.op === "symlink") continue;
    if (mount.op === "ro-bind-try" && lstatOrNull(mount.path) === null) continue;
    wanted.set(mount.path, (wanted.get(mount.path) ?? 0) + 1);
  }
  for (const [path, count] of wanted) if ((present.get(path) ?? 0) < count) return false;
  return true;
}

/** The children of a process, from each of its threads' /proc children lists; undefined when unreadable. */
function childrenOf(pid: number): number[] | undefined {
  try {
    const children: number[] = [];
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, "latin1").trim();
      if (list !== "") children.push(...list.split(" ").map(Number));
    }
    return children;
  } catch {
    return undefined;
  }
}

/** A mountinfo path field: space, tab, newline and backslash are written as octal escapes. */
function decodeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
