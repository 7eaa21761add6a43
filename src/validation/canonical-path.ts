import fs from "node:fs";
import path from "node:path";
import { CcmuxError } from "../errors.js";

/** Linux's own limit on symlinks followed while resolving one path. */
const MAX_SYMLINKS = 40;
const PERCENT_ENCODED = /%[0-9A-Fa-f]{2}/;

export interface CanonicalizeOptions {
  /** Canonical absolute directory that relative inputs resolve against. */
  cwd: string;
  /** Canonical workspace roots (from `canonicalRoot`). */
  roots: readonly string[];
}

function invalid(message: string, cause?: unknown): CcmuxError {
  return new CcmuxError("PATH_INVALID", message, { cause });
}

function outside(message: string): CcmuxError {
  return new CcmuxError("PATH_OUTSIDE_WORKSPACE", message);
}

/** True when canonical path `p` is `root` or lies below it, compared by whole path segments. */
export function isInside(p: string, root: string): boolean {
  if (root === path.sep) return p.startsWith(path.sep);
  // Security: a string prefix would let root /srv/app admit /srv/app2.
  return p === root || p.startsWith(root + path.sep);
}

/** The canonical form of an existing directory, for use as a workspace root; PATH_INVALID otherwise. */
export function canonicalRoot(dir: string): string {
  if (dir.includes("\0") || !path.isAbsolute(dir)) throw invalid("the directory must be an absolute path");
  let real: string;
  try {
    real = fs.realpathSync.native(dir);
  } catch (cause) {
    throw invalid("the directory does not exist", cause);
  }
  if (!fs.statSync(real).isDirectory()) throw invalid("the path is not a directory");
  return real;
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** Joins the not-yet-existing tail onto the canonical existing head. */
function appendMissing(head: string, rest: readonly string[], onTheWay: (dir: string) => boolean): string {
  const parts = rest.filter((part) => part !== "" && part !== ".");
  // Security: what is missing outside the workspace is answered as what exists there (see resolvePhysical).
  if (!onTheWay(head) || !onTheWay(path.join(head, parts[0] ?? ""))) {
    throw outside("the path passes through a directory outside the workspace");
  }
  // Security: `new/../../x` climbs out through a directory that does not exist yet; we cannot resolve it.
  if (parts.includes("..")) throw invalid("the path climbs `..` out of a directory that does not exist");
  return parts.length === 0 ? head : path.join(head, ...parts);
}

/**
 * Resolves an absolute path the way the kernel does: component by component, `..` applied to the physical
 * parent after symlinks (fs.realpathSync, unlike realpath(3), normalizes `link/..` lexically first).
 */
function resolvePhysical(absolute: string, roots: readonly string[]): string {
  const todo = absolute.split("/").reverse();
  let current = "/";
  let links = 0;
  // A directory the walk may look into: inside a root, or on the way to one.
  const onTheWay = (dir: string): boolean => roots.some((root) => isInside(dir, root) || isInside(root, dir));
  while (todo.length > 0) {
    const part = todo.pop() as string;
    if (part === "" || part === ".") continue;
    // Security: `ws/../../root/.cargo/../../ws/x` was allowed when /root/.cargo existed and PATH_INVALID when it
    // did not, so an agent could map the host's private directories through the answers. The walk never looks
    // into a directory that is neither inside the workspace nor on the way to it: it refuses there, whatever
    // lies below.
    if (!onTheWay(current)) throw outside("the path passes through a directory outside the workspace");
    if (part === "..") {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, part);
    // Security: /proc/self/cwd, /proc/self/fd/N and /dev/fd/N resolve to the server's files, not the child's.
    if (isInside(next, "/proc")) throw outside("the path resolves through /proc");
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(next);
    } catch (error) {
      const code = errno(error);
      if (code === "ENOENT" || code === "ENOTDIR")
        return appendMissing(current, [part, ...todo.reverse()], onTheWay);
      throw invalid("the path cannot be checked", error);
    }
    if (stat.isSymbolicLink()) {
      links += 1;
      if (links > MAX_SYMLINKS) throw invalid("the path has too many levels of symbolic links");
      // Security: a symlink (dangling or not) is followed to its target, which is what open() would do.
      const target = fs.readlinkSync(next);
      if (target.startsWith("/")) current = "/";
      todo.push(...target.split("/").reverse());
      continue;
    }
    current = next;
    if (!stat.isDirectory() && todo.some((p) => p !== "" && p !== ".")) {
      return appendMissing(current, todo.reverse(), onTheWay);
    }
  }
  return current;
}

/** Cross-checks an existing result with realpath(3); a difference means a race or a resolver bug. */
function assertStillCanonical(canonical: string): void {
  let real: string;
  try {
    real = fs.realpathSync.native(canonical);
  } catch (error) {
    const code = errno(error);
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw invalid("the path cannot be checked", error);
  }
  if (real !== canonical) throw invalid("the path changed while it was being checked");
}

/**
 * The canonical absolute path of `input` (resolved against `opts.cwd`), which must lie inside one of
 * `opts.roots`. Nothing is decoded or expanded: NUL and percent-encoding are PATH_INVALID, a leading `~` is
 * PATH_OUTSIDE_WORKSPACE. Symlinks are followed (dangling ones too); a path that does not exist yet resolves
 * through its deepest existing ancestor. Throws PATH_INVALID or PATH_OUTSIDE_WORKSPACE.
 */
export function canonicalizeInside(input: string, opts: CanonicalizeOptions): string {
  if (input === "") throw invalid("the path is empty");
  // Security: NUL truncates the path in the kernel (`file\0.txt` opens `file`).
  if (input.includes("\0")) throw invalid("the path contains a NUL byte");
  // Security: `%2e%2e%2f` is `../` to any program that decodes; we never decode, so we refuse.
  if (PERCENT_ENCODED.test(input)) throw invalid("the path contains percent-encoding");
  // Security: a program or a later shell may expand `~/x` to $HOME/x, outside the workspace.
  if (input.startsWith("~")) throw outside("the path starts with `~`");
  if (!path.isAbsolute(opts.cwd)) throw invalid("the working directory is not absolute");
  const joined = path.isAbsolute(input) ? input : `${opts.cwd}/${input}`;
  const canonical = resolvePhysical(joined, opts.roots);
  assertStillCanonical(canonical);
  if (!opts.roots.some((root) => isInside(canonical, root))) {
    throw outside("the path resolves outside every workspace root");
  }
  return canonical;
}
