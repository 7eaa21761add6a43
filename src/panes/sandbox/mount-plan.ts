import { join, sep } from "node:path";
import { type FoundRepo, gitProtections, type UnreadableDir, userHooksPaths } from "./git-paths.js";
import { hiddenPaths, hideInside, hideOutside, SANDBOX_OWN } from "./hide-mounts.js";
import { MAX_PANE_GROWN_MOUNTS, MountBudget } from "./mount-budget.js";
import { bornMs, expand, inside, splitPattern } from "./path-glob.js";
import { lstatOrNull, realPath } from "./plan-reads.js";
import { quoteName } from "./quote-name.js";

/** What a sandboxed pane sees of the filesystem, before it is resolved against the disk. */
export interface SandboxLayout {
  /** Canonical workspace roots: read-write. */
  workspace: readonly string[];
  /** Hidden path patterns: absolute or `~/…`, `*` in the last segment (validated by the policy). */
  hide: readonly string[];
  /** Read-only patterns relative to each workspace root, `*` matching one name; a trailing `/` means a directory. */
  readOnly: readonly string[];
  /**
   * Agent and editor configuration, read-only at each workspace root and at the top of every repository found
   * below one (same pattern shape as readOnly). Missing directories get an empty read-only stand-in at the roots.
   */
  agentConfig?: readonly string[];
  /** Entries of `agentConfig` that get an empty read-only stand-in at a root while missing; others only when present. */
  agentConfigStandIns?: readonly string[];
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

/**
 * A layout that cannot be enforced as written. Nothing on disk raises it any more — a pane can plant whatever
 * is on disk, and a spawn refused for it would let a pane stop every later spawn — so what cannot be protected
 * becomes a warning of the plan instead. Kept for callers that still catch it.
 */
export class SandboxLayoutError extends Error {}

/** The mounts of one spawn, in order, and what could not be protected (pane-safe sentences). */
export interface MountPlan {
  mounts: Mount[];
  /** What was left unprotected and why; names quoted with quoteName. Never a reason to refuse the spawn. */
  warnings: string[];
}

/**
 * Where a missing path gets an empty read-only stand-in, so that it cannot be created:
 * `first-missing` at the first missing directory (a hooks directory: git runs what appears there);
 * `below-root` the same but never directly in the root (a missing .husky is not made);
 * `self` only the protected directory itself, when its parent exists (`.claude/`: an empty directory is
 * harmless, a missing parent such as `.github` is not blocked); `none` never (nested repositories' config).
 */
type StandIn = "first-missing" | "below-root" | "self" | "none";

/** Longest path handed to bwrap (PATH_MAX is 4096 with its NUL); longer ones cannot be mounted. */
const MAX_PATH_BYTES = 4000;
/** Symlinks followed in a row when protecting what one points to. */
const MAX_LINK_HOPS = 4;

/** Adds read-only protections to a plan within a budget, collecting what it cannot protect. */
class Protector {
  private readonly pins = new Set<string>();
  /** Paths already bound read-only: anything below them is covered (many repositories under one protection). */
  private readonly covered: string[] = [];
  readonly warnings: string[] = [];

  constructor(
    private readonly roots: readonly string[],
    private readonly budget: MountBudget,
    private readonly out: Mount[],
  ) {}

  /**
   * The mounts protecting one read-only pattern under `root`. Security: a read-only bind stops writes to the
   * path, but not replacing it: `mv .git .git.old` and a fresh `.git/hooks` would defeat it. Every directory
   * between the root and the path is therefore bound onto itself, which makes it a mount point that cannot be
   * renamed or removed (EBUSY). A symlink on the way cannot be pinned (mounts follow symlinks, the link itself
   * stays replaceable): what it points to is protected when it lies in the workspace, and the link is reported.
   */
  protect(root: string, pattern: string, standIn: StandIn, hops = 0): void {
    const wantsDirectory = pattern.endsWith("/");
    for (const target of expand(root, splitPattern(pattern))) {
      if (this.covered.some((dir) => inside(target, dir))) continue;
      if (Buffer.byteLength(target) > MAX_PATH_BYTES) {
        this.warnings.push(`${quoteName(target)} is too long a path to mount; it is not read-only`);
        continue;
      }
      this.protectOne(root, target, wantsDirectory, standIn, hops);
    }
  }

  private protectOne(
    root: string,
    target: string,
    wantsDirectory: boolean,
    standIn: StandIn,
    hops: number,
  ): void {
    const parts = target.slice(root.length + 1).split(sep);
    let path = root;
    for (const [i, part] of parts.entries()) {
      path = join(path, part);
      const stat = lstatOrNull(path);
      const last = i === parts.length - 1;
      if (stat === null) {
        // Missing: an empty read-only stand-in, so that it (or the hooks directory below it) cannot be created.
        const directory = wantsDirectory || !last;
        const allowed =
          standIn === "first-missing" ||
          (standIn === "below-root" && i > 0) ||
          (standIn === "self" && last && wantsDirectory);
        if (directory && allowed) this.add({ op: "ro-empty", path });
        return;
      }
      if (stat.isSymbolicLink()) {
        this.followLink(path, parts.slice(i + 1), wantsDirectory, hops);
        return;
      }
      if (last) break;
      if (!stat.isDirectory()) {
        // A file where a directory was expected (`.git` as a worktree pointer): it redirects git, keep it.
        this.add({ op: "ro-bind", path });
        return;
      }
      if (!this.pins.has(path)) {
        if (!this.add({ op: "bind", path })) return;
        this.pins.add(path);
      }
    }
    if (this.add({ op: "ro-bind", path: target })) this.covered.push(target);
  }

  /**
   * Security: a symlink (a `.git` pointing elsewhere, a planted link on a protected path) cannot be pinned.
   * Refusing the spawn would let a pane stop all later spawns by planting one, so what the link points to is
   * protected when it lies in a workspace root (outside, the system is read-only already), and the link is
   * reported: a pane can still swap it.
   */
  private followLink(link: string, rest: readonly string[], wantsDirectory: boolean, hops: number): void {
    this.warnings.push(
      `${quoteName(link)} is a symlink, which a pane can replace; what it points to now is kept read-only`,
    );
    let real: string;
    try {
      real = realPath(link);
    } catch {
      return; // dangling: nothing to protect yet
    }
    const root = this.roots.find((dir) => inside(real, dir) && real !== dir);
    if (root === undefined || hops >= MAX_LINK_HOPS) return;
    const relative = [real.slice(root.length + 1), ...rest].join("/");
    this.protect(root, wantsDirectory ? `${relative}/` : relative, "none", hops + 1);
  }

  /** Adds a mount when the budget allows it. */
  private add(mount: Mount): boolean {
    if (!this.budget.admit(mount)) return false;
    this.out.push(mount);
    return true;
  }
}

/**
 * Resolves the layout against the filesystem as it is now, in the order the mounts must be applied:
 * hidden paths outside the workspace, files revealed again, the workspace roots and extra read-write
 * directories, the read-only protections (unless `protections` is false), then hidden paths inside writable
 * areas. Never throws for what is on disk: what cannot be protected (a symlink, a name that is not UTF-8,
 * more than the mount budget) is a warning in the plan.
 */
export function planSpawn(
  layout: SandboxLayout,
  extraBinds: readonly string[],
  options: { protections: boolean } = { protections: true },
): MountPlan {
  const budget = new MountBudget();
  const warnings: string[] = [];
  const writable = [...layout.workspace, ...extraBinds];
  const unsearchable = new Set<string>();
  const hidden = hiddenPaths(layout, unsearchable);
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
  ].map((mount) => budget.always(mount));
  const extras = extraBinds.map((path): Mount => budget.always({ op: "bind", path }));
  // Hidden paths inside the workspace take the budget first: they keep secrets. Security: a pane can make
  // thousands of files matching a hidden pattern (`~/.claude*` when home is in the workspace) to push bwrap
  // past its argument limit; the oldest files (by birth time: a chmod moves a ctime forward) are hidden first,
  // so the person's existing secrets stay hidden and only files made since are left out. They take at most
  // MAX_INNER_HIDES: an attack review's flood of 400 files in a hidden directory once took the whole budget, and
  // every `.git` and every pin above a hidden path lost its mount.
  const innerMounts: Mount[] = [];
  // Security: a directory inside the workspace this uid could not look into may hold a hidden path the plan
  // cannot name (a pane of the server's uid made it `chmod 000`, or `chmod 100`, which keeps names reachable):
  // hidden whole (an empty stand-in, whatever mode another pane gives it later), ahead of the hides. A workspace
  // root among them is hidden too: the pane then sees an empty workspace, which is what the pane asked for.
  const closed = [...unsearchable]
    .filter((dir) => writable.some((root) => inside(dir, root)))
    .sort((a, b) => bornMs(a) - bornMs(b));
  const hideOrder = [...closed, ...[...inner].sort((a, b) => bornMs(a) - bornMs(b))];
  let hiddenInside = 0;
  let notHidden = 0;
  for (const path of hideOrder) {
    const mount = hideInside(path);
    if (hiddenInside < MAX_INNER_HIDES && budget.admit(mount)) {
      innerMounts.push(mount);
      hiddenInside++;
    } else notHidden++;
  }
  if (closed.length > 0) {
    const madeClosed = closed.filter((path) => innerMounts.some((mount) => mount.path === path));
    warnings.push(
      closedWarning("inside the workspace that may hold hidden paths", madeClosed, closed.length, "hidden"),
    );
  }
  if (notHidden > 0) {
    warnings.push(
      `${notHidden} hidden paths inside the workspace (the newest) are not hidden: a spawn makes at most ${MAX_INNER_HIDES} such mounts`,
    );
  }
  warnings.push(...pinHiddenParents(innerMounts, writable, mounts, budget));
  if (options.protections) warnings.push(...protectWorkspace(layout, mounts, budget));
  // Last, so that no pin or protection (a bind of the host directory) can show a hidden path again.
  // The pane's own directories go back on top: a workspace holding ccmux's state dir must not hide them.
  return { mounts: [...mounts, ...sortByPath(innerMounts), ...extras], warnings };
}

/**
 * Security: a hide covers a path, not its name. A pane could rename a directory above a hidden path
 * (`mv data data2`, `mv ~/.local ~/.l2`): its own hide moves along, but the next pane's plan no longer matches the
 * new name and shows it (an attack review read a hidden secret and an old audit log so). Every directory between
 * the writable root and a hidden path is therefore bound onto itself, as protections pin theirs: a mount point
 * cannot be renamed or removed (EBUSY). Added before the protections and the hides, which go on top (a bind of
 * a directory after a hide below it would show the hidden path again). Returns what the budget left out.
 */
function pinHiddenParents(
  hides: readonly Mount[],
  writable: readonly string[],
  mounts: Mount[],
  budget: MountBudget,
): string[] {
  const pinned = new Set<string>();
  let skipped = 0;
  for (const hide of hides) {
    const root = writable
      .filter((dir) => inside(hide.path, dir) && hide.path !== dir)
      .sort((a, b) => b.length - a.length)[0];
    if (root === undefined) continue;
    const parts = hide.path
      .slice(root.length + 1)
      .split(sep)
      .slice(0, -1);
    let path = root;
    for (const part of parts) {
      path = join(path, part);
      if (pinned.has(path)) continue;
      pinned.add(path);
      const pin: Mount = { op: "bind", path };
      if (budget.admit(pin)) mounts.push(pin);
      else skipped++;
    }
  }
  return skipped > 0
    ? [
        `${skipped} directories above hidden paths inside the workspace could not be pinned (a spawn makes at most ${MAX_PANE_GROWN_MOUNTS} such mounts): a pane can rename them and show what they hold to the next pane`,
      ]
    : [];
}

/** The mounts of planSpawn, without its warnings. */
export function planMounts(
  layout: SandboxLayout,
  extraBinds: readonly string[],
  options: { protections: boolean } = { protections: true },
): Mount[] {
  return planSpawn(layout, extraBinds, options).mounts;
}

/** At most this many hides inside writable areas a spawn: the rest of MAX_PANE_GROWN_MOUNTS keeps protections. */
const MAX_INNER_HIDES = MAX_PANE_GROWN_MOUNTS / 2;

/**
 * The warning for directories the server could not search (`total`, `where` they lie), of which `made` (oldest
 * first) got a mount that makes them `treatment` whole; the rest, the newest, did not (the mount budget).
 */
function closedWarning(where: string, made: string[], total: number, treatment: string): string {
  const named = `${made.slice(0, 3).map(quoteName).join(", ")}${made.length > 3 ? ", …" : ""}`;
  const left = total - made.length;
  return `${total} director${total === 1 ? "y" : "ies"} ${where} could not be searched by the server (no permission); ${treatment} whole: ${made.length}, the oldest: ${named}${left > 0 ? `; ${left}, the newest, are not` : ""}`;
}

/** Hides inside writable areas in a stable order, parents before children. */
const sortByPath = (mounts: Mount[]): Mount[] => [...mounts].sort((a, b) => (a.path < b.path ? -1 : 1));

/**
 * The read-only protections, most important first so that a budget cut keeps them: the policy file, hooks
 * directories, the roots' read-only patterns and agent configuration, where `.git` files point, then nested
 * repositories shallowest first (their `.git` and their agent configuration).
 */
function protectWorkspace(layout: SandboxLayout, mounts: Mount[], budget: MountBudget): string[] {
  const protector = new Protector(layout.workspace, budget, mounts);
  const inherited = userHooksPaths(layout.home);
  const git = layout.workspace.map((root) => gitProtections(root, layout.home, inherited));
  const warnings = git.flatMap((found) => found.warnings);
  const skippedBefore = budget.skipped;
  const hookDirs = [...new Set(git.flatMap((found) => found.hookDirs))];
  const gitdirs = [...new Set(git.flatMap((found) => found.gitdirTargets))];
  const agentConfig = layout.agentConfig ?? [];
  const standIns = new Set(layout.agentConfigStandIns ?? agentConfig);
  const within = (path: string, root: string, run: (relative: string) => void): void => {
    if (inside(path, root) && path !== root) run(path.slice(root.length + 1));
  };
  for (const root of layout.workspace) {
    for (const file of layout.alwaysReadOnly)
      within(file, root, (rel) => protector.protect(root, rel, "below-root"));
  }
  for (const dir of hookDirs) {
    if (layout.workspace.includes(dir)) {
      warnings.push(
        `core.hooksPath names the workspace root ${quoteName(dir)}: hooks there cannot be made read-only`,
      );
      continue;
    }
    // A configured hooks directory gets its stand-in even at the root: git will run what appears there.
    for (const root of layout.workspace)
      within(dir, root, (rel) => protector.protect(root, `${rel}/`, "first-missing"));
  }
  for (const root of layout.workspace) {
    for (const pattern of layout.readOnly) protector.protect(root, pattern, "below-root");
    for (const pattern of agentConfig)
      protector.protect(root, pattern, standIns.has(pattern) ? "self" : "none");
  }
  for (const dir of gitdirs) {
    for (const root of layout.workspace)
      within(dir, root, (rel) => protector.protect(root, `${rel}/`, "none"));
  }
  // Nested repositories and the directories the search could not list (what they hold is unknown: read-only
  // whole), in one order, oldest first by birth time. Security: an attack review's pane made 320 repositories, or
  // 320 unreadable directories, at the root; ordered by depth (or unreadable ones first), they took the budget
  // from the person's older repositories below, and a hook planted in one ran at the person's next commit.
  type Nested =
    | ({ root: string; closed: true } & UnreadableDir)
    | ({ root: string; closed?: false } & FoundRepo);
  const nested: Nested[] = [
    ...layout.workspace.flatMap((root, i) =>
      (git[i]?.unreadable ?? []).map((found) => ({ root, closed: true as const, ...found })),
    ),
    ...layout.workspace.flatMap((root, i) => (git[i]?.repos ?? []).map((repo) => ({ root, ...repo }))),
  ].sort((a, b) => a.bornMs - b.bornMs);
  let unprotected = 0;
  const closedDirs: string[] = [];
  let closedLeft = 0;
  for (const repo of nested) {
    // Past the budget nothing more can be mounted: count what is left rather than plan it (2 000 repositories
    // would otherwise cost seconds per spawn).
    if (budget.full) {
      if (repo.closed) closedLeft++;
      else unprotected++;
      continue;
    }
    if (repo.closed) {
      if (repo.dir === "") mounts.push(budget.always({ op: "ro-bind", path: repo.root }));
      else protector.protect(repo.root, `${repo.dir}/`, "none");
      closedDirs.push(join(repo.root, repo.dir));
      continue;
    }
    if (repo.git !== false)
      protector.protect(repo.root, repo.bare ? `${repo.dir}/` : `${repo.dir}/.git/`, "none");
    if (repo.bare) continue;
    // Security: Mercurial and Jujutsu run code from a nested repository's directory as git does from its `.git`
    // (an attack review planted an hgrc hook in one): read-only below the roots wherever the roots' are.
    for (const name of repo.others ?? [])
      if (layout.readOnly.includes(`${name}/`)) protector.protect(repo.root, `${repo.dir}/${name}/`, "none");
    for (const pattern of agentConfig) protector.protect(repo.root, `${repo.dir}/${pattern}`, "none");
  }
  if (closedDirs.length > 0 || closedLeft > 0) {
    warnings.push(
      closedWarning("under the workspace", closedDirs, closedDirs.length + closedLeft, "read-only"),
    );
  }
  warnings.push(...protector.warnings);
  const skipped = budget.skipped - skippedBefore;
  if (skipped > 0 || unprotected > 0) {
    warnings.push(
      `read-only protections were left out (${unprotected} repositories, the newest, and ${skipped} other paths): a spawn makes at most ${MAX_PANE_GROWN_MOUNTS} mounts for protections and hidden paths inside the workspace`,
    );
  }
  return warnings;
}
