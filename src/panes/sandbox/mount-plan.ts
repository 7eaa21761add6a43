import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, type Stats } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";

/** What a sandboxed pane sees of the filesystem, before it is resolved against the disk. */
export interface SandboxLayout {
  /** Canonical workspace roots: read-write. */
  workspace: readonly string[];
  /** Hidden path patterns: absolute or `~/…`, `*` in the last segment (validated by the policy). */
  hide: readonly string[];
  /** Read-only patterns relative to each workspace root, `*` matching one name; a trailing `/` means a directory. */
  readOnly: readonly string[];
  /** Absolute paths hidden whatever the policy says: ccmux's own config, state and audit log. */
  alwaysHide: readonly string[];
  /** Absolute paths read-only whatever the policy says: the policy file when it lies in the workspace. */
  alwaysReadOnly: readonly string[];
  /** Paths inside hidden directories to show again, read-only (e.g. /run/systemd/resolve when there is network). */
  reveal: readonly string[];
  /** The home directory `~/` stands for. */
  home: string;
}

/** One mount, applied in order after the read-only system (`/`), private /dev, /proc and /tmp. */
export type Mount =
  /** An empty fresh tmpfs over a directory (hides it). */
  | { op: "tmpfs"; path: string }
  /** An empty read-only file bound over a file or socket (hides it; reads see nothing, connects fail). */
  | { op: "empty-file"; path: string }
  /** The host path, read-write. */
  | { op: "bind"; path: string }
  /** The host path, read-only. */
  | { op: "ro-bind"; path: string }
  /** An empty read-only directory where a protected directory does not exist yet (it cannot be created). */
  | { op: "ro-empty"; path: string }
  /** A symlink with this target, made at `path` (inside a rebuilt directory). */
  | { op: "symlink"; path: string; target: string };

/** A layout that cannot be enforced as written: spawning sandboxed is refused with this reason. */
export class SandboxLayoutError extends Error {}

const inside = (path: string, dir: string): boolean =>
  path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** Glob `*` within one path segment. */
function segmentMatcher(segment: string): (name: string) => boolean {
  if (!segment.includes("*")) return (name) => name === segment;
  const source = segment
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  const regex = new RegExp(`^${source}$`, "s");
  return (name) => regex.test(name);
}

/** Existing paths under `base` matching the relative segments (`*` expanded by listing directories). */
function expand(base: string, segments: readonly string[]): string[] {
  let current = [base];
  for (const segment of segments) {
    const next: string[] = [];
    for (const dir of current) {
      if (!segment.includes("*")) {
        next.push(join(dir, segment));
        continue;
      }
      const match = segmentMatcher(segment);
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        // not a directory, or gone: matches nothing
      }
      for (const name of names.sort()) if (match(name)) next.push(join(dir, name));
    }
    current = next;
  }
  return current;
}

const splitPattern = (pattern: string): string[] => pattern.split("/").filter((part) => part !== "");

/** Hidden patterns resolved to real, existing paths (symlinks followed: the target is what must be hidden). */
function hiddenPaths(layout: SandboxLayout): string[] {
  const found = new Set<string>();
  const candidates = [
    ...layout.alwaysHide,
    ...layout.hide.flatMap((pattern) =>
      pattern.startsWith("~/")
        ? expand(layout.home, splitPattern(pattern.slice(2)))
        : expand("/", splitPattern(pattern)),
    ),
  ];
  for (const candidate of candidates) {
    try {
      found.add(realpathSync(candidate));
    } catch {
      // does not exist: nothing to hide
    }
  }
  // A path inside another hidden directory is already hidden.
  const sorted = [...found].sort((a, b) => a.length - b.length);
  return sorted.filter((path, i) => !sorted.slice(0, i).some((other) => inside(path, other)));
}

/**
 * The mounts hiding `hidden` where nothing is writable. Directories get a tmpfs. Security: a mount over a single
 * file does not last — when the host replaces the file (rename over it, as `git credential-store` or an editor
 * does), the kernel detaches mounts on it in every namespace and the pane sees the new file. So the directory
 * holding hidden files is rebuilt instead: a tmpfs over it, every other entry bound back read-only (symlinks made
 * again), the hidden ones simply absent. A replaced entry then vanishes from the pane rather than showing through.
 */
function hideOutside(hidden: readonly string[]): Mount[] {
  const dirs = hidden.filter((path) => lstatOrNull(path)?.isDirectory());
  // The root itself is never rebuilt (it holds /dev, /proc, /tmp): a file directly in / is covered instead.
  const covered = hidden.filter((path) => !dirs.includes(path) && dirname(path) === sep);
  const files = hidden.filter((path) => !dirs.includes(path) && !covered.includes(path));
  const parents = [...new Set(files.map((path) => dirname(path)))].sort((a, b) => depth(a) - depth(b));
  const mounts: Mount[] = covered.map((path): Mount => ({ op: "empty-file", path }));
  for (const parent of parents) {
    mounts.push({ op: "tmpfs", path: parent });
    let names: string[] = [];
    try {
      names = readdirSync(parent);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const path = join(parent, name);
      if (hidden.includes(path)) continue;
      const stat = lstatOrNull(path);
      if (stat === null) continue;
      if (stat.isSymbolicLink()) {
        try {
          mounts.push({ op: "symlink", path, target: readlinkSync(path) });
        } catch {
          // gone meanwhile
        }
      } else {
        mounts.push({ op: "ro-bind", path });
      }
    }
  }
  return [...mounts, ...dirs.map((path): Mount => ({ op: "tmpfs", path }))];
}

const depth = (path: string): number => path.split(sep).length;

/** Inside a writable area a rebuilt parent would lose writes; a file there is covered by an empty file. */
function hideInside(path: string): Mount {
  return lstatOrNull(path)?.isDirectory() ? { op: "tmpfs", path } : { op: "empty-file", path };
}

/**
 * The mounts protecting one read-only pattern under `root`. Security: a read-only bind stops writes to the
 * path, but not replacing it: `mv .git .git.old` and a fresh `.git/hooks` would defeat it. Every directory
 * between the root and the path is therefore bound onto itself, which makes it a mount point that cannot be
 * renamed or removed (EBUSY). A symlink on the way cannot be pinned (mounts follow symlinks, the link itself
 * stays replaceable), so the layout is refused rather than half-protected.
 */
function protect(
  root: string,
  pattern: string,
  pins: Set<string>,
  out: Mount[],
  standInAtRoot = false,
): void {
  const wantsDirectory = pattern.endsWith("/");
  const segments = splitPattern(pattern);
  for (const target of expand(root, segments)) {
    const parts = target.slice(root.length + 1).split(sep);
    let path = root;
    let blocked = false;
    for (const [i, part] of parts.entries()) {
      path = join(path, part);
      const stat = lstatOrNull(path);
      const last = i === parts.length - 1;
      if (stat === null) {
        // Missing: a directory deeper than the root's own entries gets an empty read-only stand-in, so that
        // `.git/hooks` cannot be created; a missing entry at the root (no .husky) is left alone, not cluttered.
        if (last && wantsDirectory && (i > 0 || standInAtRoot)) out.push({ op: "ro-empty", path });
        blocked = true;
        break;
      }
      if (stat.isSymbolicLink()) {
        throw new SandboxLayoutError(
          `${path} is a symlink, so the read-only protection of ${pattern} cannot hold; replace it with the real directory or set sandbox.readOnly to its target`,
        );
      }
      if (last) break;
      if (!stat.isDirectory()) {
        // A file where a directory was expected (`.git` as a worktree pointer): it redirects git, keep it.
        out.push({ op: "ro-bind", path });
        blocked = true;
        break;
      }
      if (!pins.has(path)) {
        pins.add(path);
        out.push({ op: "bind", path });
      }
    }
    if (!blocked) out.push({ op: "ro-bind", path: target });
  }
}

/**
 * Workspace-relative directories that git's `core.hooksPath` names for the repository at `root` (its own
 * config, then ~/.gitconfig and ~/.config/git/config). Security: hooks there run at the person's next commit
 * just like `.git/hooks`. A plain reading of `hookspath = …` lines: `include`d files are not followed.
 */
function hooksPathsIn(root: string, home: string): string[] {
  const found: string[] = [];
  for (const file of [
    join(root, ".git", "config"),
    join(home, ".gitconfig"),
    join(home, ".config", "git", "config"),
  ]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const match of text.matchAll(/^\s*hookspath\s*=\s*(.*?)\s*$/gim)) {
      let value = (match[1] ?? "").replace(/^"(.*)"$/, "$1");
      if (value.startsWith("~/")) value = join(home, value.slice(2));
      const absolute = isAbsolute(value) ? value : resolve(root, value);
      if (absolute !== root && inside(absolute, root)) found.push(`${absolute.slice(root.length + 1)}/`);
    }
  }
  return found;
}

/**
 * Resolves the layout against the filesystem as it is now, in the order the mounts must be applied:
 * hidden paths outside the workspace, paths revealed again, the workspace roots and extra read-write
 * directories, the read-only protections, then hidden paths inside writable areas. Throws SandboxLayoutError
 * when a protection cannot hold.
 */
export function planMounts(layout: SandboxLayout, extraBinds: readonly string[]): Mount[] {
  const writable = [...layout.workspace, ...extraBinds];
  const hidden = hiddenPaths(layout);
  // /tmp is a fresh tmpfs in every sandbox: what lies there on the host is hidden already.
  const outer = hidden.filter((path) => !writable.some((dir) => inside(path, dir)) && !inside(path, "/tmp"));
  const inner = hidden.filter((path) => writable.some((dir) => inside(path, dir) && path !== dir));
  const revealed = layout.reveal.filter((path) => lstatOrNull(path) !== null);
  const mounts: Mount[] = [
    ...hideOutside(outer),
    ...revealed.map((path): Mount => ({ op: "ro-bind", path })),
    ...writable.map((path): Mount => ({ op: "bind", path })),
  ];
  const pins = new Set<string>();
  for (const root of layout.workspace) {
    for (const pattern of layout.readOnly) protect(root, pattern, pins, mounts);
    // A configured hooks directory gets its stand-in even at the root: git will run what appears there.
    for (const pattern of hooksPathsIn(root, layout.home)) protect(root, pattern, pins, mounts, true);
    for (const file of layout.alwaysReadOnly) {
      if (inside(file, root) && file !== root) protect(root, file.slice(root.length + 1), pins, mounts);
    }
  }
  // Last, so that no pin or protection (a bind of the host directory) can show a hidden path again.
  return [...mounts, ...inner.map(hideInside)];
}
