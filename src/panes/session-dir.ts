import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, realpathSync, rmSync } from "node:fs";
import { join, sep } from "node:path";
import { CcmuxError } from "../errors.js";

/** A pane's private directory, removed when the pane goes (unless kept). */
export interface SessionDir {
  readonly path: string;
  remove(): void;
}

/** Test seam: runs between creating the directory and checking it (to plant a race for real). */
export interface SessionDirHooks {
  afterCreate?(path: string): void;
}

const uid = (): number | undefined => (typeof process.getuid === "function" ? process.getuid() : undefined);

/**
 * Creates a fresh private directory under `base` (seed §1.1). Security: the base must be a real directory
 * owned by us and closed to others (0700), not a symlink — otherwise another user could swap what it holds;
 * the session directory is created with mkdir (exclusive: an existing path or a planted symlink fails with
 * EEXIST, it is never reused), mode 0700, under a random name (no caller-supplied id, so no traversal), and is
 * checked after creation: still a real directory, ours, 0700, and canonically inside the base.
 */
export function createSessionDir(base: string, hooks: SessionDirHooks = {}): SessionDir {
  try {
    ensurePrivateBase(base);
    const path = join(base, `s-${randomBytes(12).toString("hex")}`);
    mkdirSync(path, { mode: 0o700 });
    hooks.afterCreate?.(path);
    assertPrivateDirectory(path, "the session directory");
    const real = realpathSync(path);
    const realBase = realpathSync(base);
    if (!real.startsWith(realBase + sep)) throw new Error("the session directory resolves outside its base");
    return { path: real, remove: () => rmSync(real, { recursive: true, force: true }) };
  } catch (cause) {
    throw new CcmuxError(
      "SPAWN_FAILED",
      `A private session directory could not be made safely: ${reason(cause)}.`,
      {
        cause,
      },
    );
  }
}

/** Creates `base` (0700) when missing; throws unless it is a real directory, ours, closed to others. */
export function ensurePrivateBase(base: string): void {
  mkdirSync(base, { recursive: true, mode: 0o700 });
  assertPrivateDirectory(base, "the session base");
}

function assertPrivateDirectory(path: string, what: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) throw new Error(`${what} is a symlink`);
  if (!stat.isDirectory()) throw new Error(`${what} is not a directory`);
  const me = uid();
  if (me !== undefined && stat.uid !== me) throw new Error(`${what} is not owned by this user`);
  // Search (x) alone is allowed: a root server's base lets its pane user reach its own 0700 directory by name.
  if ((stat.mode & 0o066) !== 0)
    throw new Error(`${what} is open to other users (mode ${(stat.mode & 0o777).toString(8)})`);
}

function reason(cause: unknown): string {
  if (cause instanceof Error && "code" in cause && cause.code === "EEXIST") return "the path already exists";
  return cause instanceof Error ? cause.message : String(cause);
}
