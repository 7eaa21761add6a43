import { join, sep } from "node:path";
import { gitProtections, userHooksPaths } from "./git-paths.js";
import { hiddenPaths, hideInside, hideOutside, SANDBOX_OWN } from "./hide-mounts.js";
import { expand, inside, lstatOrNull, splitPattern } from "./path-glob.js";

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
  /** Files inside hidden directories to show again, read-only (the resolver configuration when there is network). */
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
  | { op: "symlink"; path: string; target: string }
  /** The host path read-only if it still exists at launch (an entry of a rebuilt directory). */
  | { op: "ro-bind-try"; path: string };

/** A layout that cannot be enforced as written: spawning sandboxed is refused with this reason. */
export class SandboxLayoutError extends Error {}

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
        // Missing: an empty read-only stand-in at the first missing directory, so that `.git/hooks` (or the
        // whole `tools/hooks` a hooksPath names) cannot be created. At the root's own level only when asked:
        // a missing .husky is left alone rather than cluttering the workspace.
        if ((wantsDirectory || !last) && (i > 0 || standInAtRoot)) out.push({ op: "ro-empty", path });
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
 * hidden paths outside the workspace, files revealed again, the workspace roots and extra read-write
 * directories, the read-only protections (unless `protections` is false), then hidden paths inside writable
 * areas. Throws SandboxLayoutError when a protection cannot hold.
 */
export function planMounts(
  layout: SandboxLayout,
  extraBinds: readonly string[],
  options: { protections: boolean } = { protections: true },
): Mount[] {
  const writable = [...layout.workspace, ...extraBinds];
  const hidden = hiddenPaths(layout);
  const outer = hidden.filter(
    (path) => !writable.some((dir) => inside(path, dir)) && !SANDBOX_OWN.some((own) => inside(path, own)),
  );
  const inner = hidden.filter((path) => writable.some((dir) => inside(path, dir) && path !== dir));
  // Only what a hide took away is shown again, and nothing that is itself hidden.
  const revealed = layout.reveal.filter(
    (path) =>
      lstatOrNull(path)?.isFile() &&
      outer.some((dir) => inside(path, dir) && path !== dir) &&
      !hidden.includes(path),
  );
  const mounts: Mount[] = [
    ...hideOutside(outer),
    ...revealed.map((path): Mount => ({ op: "ro-bind", path })),
    ...writable.map((path): Mount => ({ op: "bind", path })),
  ];
  if (options.protections) protectWorkspace(layout, mounts);
  // Last, so that no pin or protection (a bind of the host directory) can show a hidden path again.
  // The pane's own directories go back on top: a workspace holding ccmux's state dir must not hide them.
  return [...mounts, ...inner.map(hideInside), ...extraBinds.map((path): Mount => ({ op: "bind", path }))];
}

function protectWorkspace(layout: SandboxLayout, mounts: Mount[]): void {
  const pins = new Set<string>();
  const inherited = userHooksPaths(layout.home);
  const git = layout.workspace.map((root) => gitProtections(root, layout.home, inherited));
  const hookDirs = [...new Set(git.flatMap((found) => found.hookDirs))];
  for (const [i, root] of layout.workspace.entries()) {
    for (const pattern of [...layout.readOnly, ...(git[i]?.repos ?? [])])
      protect(root, pattern, pins, mounts);
    for (const dir of hookDirs) {
      if (dir === root) {
        throw new SandboxLayoutError(
          `core.hooksPath points at the workspace root ${root}: hooks there cannot be made read-only`,
        );
      }
      // A configured hooks directory gets its stand-in even at the root: git will run what appears there.
      if (inside(dir, root)) protect(root, `${dir.slice(root.length + 1)}/`, pins, mounts, true);
    }
    for (const file of layout.alwaysReadOnly) {
      if (inside(file, root) && file !== root) protect(root, file.slice(root.length + 1), pins, mounts);
    }
  }
}
