import { dirname, join, sep } from "node:path";
import type { Mount, SandboxLayout } from "./mount-plan.js";
import { denied, expand, inside, splitPattern } from "./path-glob.js";
import { listNames, lstatOrNull, lstatOrThrow, readLink, realPathNative } from "./plan-reads.js";

/**
 * Past this many entries a directory holding hidden files is not rebuilt (bwrap re-reads its mount table for
 * every bind: 300 entries cost about 0.16 s per spawn, 3000 time out); its hidden files are covered one by one
 * instead, which holds until the host replaces one of them.
 */
export const MAX_REBUILD_ENTRIES = 128;

/**
 * Hidden patterns resolved to real, existing paths (symlinks followed: the target is what must be hidden).
 * `unsearchable` collects the directories this uid could not look into on the way (no read or search
 * permission), where a hidden path may be that cannot be named: the caller makes them read-only when a pane
 * could otherwise change their mode.
 */
export function hiddenPaths(layout: SandboxLayout, unsearchable: Set<string> = new Set()): string[] {
  const found = new Set<string>();
  // Several patterns list the same directory (~, ~/.config): each is read once per plan.
  const listings = new Map<string, string[]>();
  const candidates = [
    ...layout.alwaysHide,
    ...layout.hide.flatMap((pattern) =>
      pattern.startsWith("~/")
        ? expand(layout.home, splitPattern(pattern.slice(2)), listings, unsearchable)
        : expand("/", splitPattern(pattern), listings, unsearchable),
    ),
  ];
  const mayExist = existenceLookup(unsearchable);
  for (const candidate of candidates) {
    if (!mayExist(candidate)) continue;
    try {
      found.add(realPathNative(candidate));
    } catch {
      // a dangling symlink, or gone meanwhile: nothing to hide
    }
  }
  // A path inside another hidden directory is already hidden.
  const sorted = [...found].sort((a, b) => a.length - b.length);
  return sorted.filter((path, i) => !sorted.slice(0, i).some((other) => inside(path, other)));
}

/**
 * Whether a path names something, for many paths in few directories: most hidden patterns name nothing here (one
 * lstat says so, without resolving each component and an exception), and none below a directory that is missing
 * (a pane user's home that does not exist, `~/.config` on a server): each directory on the way is looked up once.
 */
function existenceLookup(unsearchable: Set<string>): (path: string) => boolean {
  const holds = new Map<string, boolean>();
  // Security: a lookup refused (EACCES) means the directory above may not be searched by this uid: a pane of
  // the server's uid can `chmod 000` a directory holding a hidden file, then the next pane `chmod 755` it back
  // and read the file the plan could not see. That directory is reported (see hiddenPaths).
  const lookUp = (path: string) => {
    try {
      return lstatOrThrow(path);
    } catch (error) {
      if (denied(error)) unsearchable.add(dirname(path));
      return null;
    }
  };
  const mayHold = (dir: string): boolean => {
    if (dir === sep) return true;
    const known = holds.get(dir);
    if (known !== undefined) return known;
    const stat = mayHold(dirname(dir)) ? lookUp(dir) : null;
    // A symlink may lead to a directory: what lies below is then looked up through it.
    const answer = stat !== null && (stat.isDirectory() || stat.isSymbolicLink());
    holds.set(dir, answer);
    return answer;
  };
  return (path) => mayHold(dirname(path)) && lookUp(path) !== null;
}

/** Paths every sandbox replaces anyway (/tmp) or builds itself (/dev, /proc): never hidden or rebuilt there. */
export const SANDBOX_OWN = ["/tmp", "/dev", "/proc"];

/**
 * The mounts hiding `hidden` where nothing is writable. Directories get a tmpfs. Security: a mount over a single
 * file does not last — when the host replaces the file (rename over it, as `git credential-store` or an editor
 * does), the kernel detaches mounts on it in every namespace and the pane sees the new file. So the directory
 * holding hidden files is rebuilt instead: a tmpfs over it, every other entry bound back read-only (symlinks made
 * again), the hidden ones simply absent. A replaced entry then vanishes from the pane rather than showing through.
 * Unix sockets are left out of the rebuild: a read-only mount does not stop connect(2).
 */
export function hideOutside(hidden: readonly string[]): Mount[] {
  const dirs = hidden.filter((path) => lstatOrNull(path)?.isDirectory());
  const files = hidden.filter((path) => !dirs.includes(path));
  const byParent = new Map<string, string[]>();
  for (const file of files) byParent.set(dirname(file), [...(byParent.get(dirname(file)) ?? []), file]);
  const mounts: Mount[] = [];
  const parents = [...byParent.keys()].sort((a, b) => depth(a) - depth(b));
  for (const parent of parents) {
    const names = listOrNull(parent);
    // The root is never rebuilt (it holds /dev, /proc, /tmp), nor a directory too large to rebuild cheaply.
    if (parent === sep || names === null || names.length > MAX_REBUILD_ENTRIES) {
      for (const file of byParent.get(parent) ?? []) mounts.push({ op: "empty-file", path: file });
      continue;
    }
    mounts.push({ op: "tmpfs", path: parent });
    for (const name of names.sort()) {
      const path = join(parent, name);
      if (hidden.includes(path)) continue;
      const stat = lstatOrNull(path);
      if (stat === null || stat.isSocket()) continue;
      if (stat.isSymbolicLink()) {
        try {
          mounts.push({ op: "symlink", path, target: readLink(path) });
        } catch {
          // gone meanwhile
        }
      } else {
        mounts.push({ op: "ro-bind-try", path });
      }
    }
  }
  return [...mounts, ...dirs.map((path): Mount => ({ op: "tmpfs", path }))];
}

const depth = (path: string): number => path.split(sep).length;

function listOrNull(dir: string): string[] | null {
  try {
    return listNames(dir);
  } catch {
    return null;
  }
}

/** Inside a writable area a rebuilt parent would lose writes; a file there is covered by an empty file. */
export function hideInside(path: string): Mount {
  return lstatOrNull(path)?.isDirectory() ? { op: "tmpfs", path } : { op: "empty-file", path };
}
