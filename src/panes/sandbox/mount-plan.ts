import { lstatSync, readdirSync, realpathSync, type Stats } from "node:fs";
import { join, sep } from "node:path";

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
  | { op: "ro-empty"; path: string };

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

function hideMount(path: string): Mount {
  return lstatOrNull(path)?.isDirectory() ? { op: "tmpfs", path } : { op: "empty-file", path };
}

/**
 * The mounts protecting one read-only pattern under `root`. Security: a read-only bind stops writes to the
 * path, but not replacing it: `mv .git .git.old` and a fresh `.git/hooks` would defeat it. Every directory
 * between the root and the path is therefore bound onto itself, which makes it a mount point that cannot be
 * renamed or removed (EBUSY). A symlink on the way cannot be pinned (mounts follow symlinks, the link itself
 * stays replaceable), so the layout is refused rather than half-protected.
 */
function protect(root: string, pattern: string, pins: Set<string>, out: Mount[]): void {
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
        if (last && wantsDirectory && i > 0) out.push({ op: "ro-empty", path });
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
 * Resolves the layout against the filesystem as it is now, in the order the mounts must be applied:
 * hidden paths outside the workspace, the workspace roots and extra read-write directories, hidden paths
 * inside those, then the read-only protections. Throws SandboxLayoutError when a protection cannot hold.
 */
export function planMounts(layout: SandboxLayout, extraBinds: readonly string[]): Mount[] {
  const writable = [...layout.workspace, ...extraBinds];
  const hidden = hiddenPaths(layout);
  // /tmp is a fresh tmpfs in every sandbox: what lies there on the host is hidden already.
  const outer = hidden.filter((path) => !writable.some((dir) => inside(path, dir)) && !inside(path, "/tmp"));
  const inner = hidden.filter((path) => writable.some((dir) => inside(path, dir) && path !== dir));
  const mounts: Mount[] = [
    ...outer.map(hideMount),
    ...writable.map((path): Mount => ({ op: "bind", path })),
    ...inner.map(hideMount),
  ];
  const pins = new Set<string>();
  for (const root of layout.workspace) {
    for (const pattern of layout.readOnly) protect(root, pattern, pins, mounts);
    for (const file of layout.alwaysReadOnly) {
      if (inside(file, root) && file !== root) protect(root, file.slice(root.length + 1), pins, mounts);
    }
  }
  return mounts;
}
