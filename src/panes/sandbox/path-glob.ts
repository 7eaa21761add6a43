import { join, sep } from "node:path";
import { listNames, lstatOrNull } from "./plan-reads.js";

/** True when `path` is `dir` or lies below it, by whole path segments. */
export const inside = (path: string, dir: string): boolean =>
  path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/**
 * When `path` was made (birth time, which nothing can change), or its ctime where the file system keeps none;
 * 0 when it is gone. Security: a budget cut that keeps the oldest first must not go by ctime alone, which a pane
 * moves forward on anything it may chmod.
 */
export function bornMs(path: string): number {
  const stat = lstatOrNull(path);
  if (stat === null) return 0;
  return stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.ctimeMs;
}

/** Whether an error says this uid may not read or search a path (EACCES, EPERM). */
export const denied = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "EACCES" || code === "EPERM";
};

export const splitPattern = (pattern: string): string[] => pattern.split("/").filter((part) => part !== "");

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

/**
 * Paths under `base` matching the relative segments (`*` expanded by listing directories; literal ones kept).
 * `listings`: directories already listed during the same plan, shared between calls. `unreadable` collects the
 * directories a `*` could not be expanded in because this uid may not list them.
 */
export function expand(
  base: string,
  segments: readonly string[],
  listings: Map<string, string[]> = new Map(),
  unreadable?: Set<string>,
): string[] {
  let current = [base];
  for (const segment of segments) {
    const next: string[] = [];
    for (const dir of current) {
      if (!segment.includes("*")) {
        next.push(join(dir, segment));
        continue;
      }
      const match = segmentMatcher(segment);
      let names = listings.get(dir);
      if (names === undefined) {
        try {
          names = listNames(dir).sort();
        } catch (error) {
          if (denied(error)) unreadable?.add(dir);
          names = []; // not a directory, or gone: matches nothing
        }
        listings.set(dir, names);
      }
      for (const name of names) if (match(name)) next.push(join(dir, name));
    }
    current = next;
  }
  return current;
}
