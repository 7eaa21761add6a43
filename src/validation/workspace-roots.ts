import path from "node:path";
import { canonicalRoot } from "./canonical-path.js";

/** One `workspace` entry that names no directory: its index in the list, and why. */
export interface WorkspaceRootProblem {
  index: number;
  message: string;
}

/**
 * The canonical roots a policy's `workspace` entries name: relative entries against `baseDir` (the policy
 * file's directory), symlinks resolved, each root once. The compiler and the bridge (`serve --daemon`, which
 * checks its socket directory against the roots without loading the compiler) both take the roots from here.
 */
export function workspaceRoots(
  entries: readonly string[],
  baseDir: string,
): { roots: string[]; problems: WorkspaceRootProblem[] } {
  const roots: string[] = [];
  const problems: WorkspaceRootProblem[] = [];
  for (const [index, entry] of entries.entries()) {
    try {
      const canonical = canonicalRoot(path.isAbsolute(entry) ? entry : `${baseDir}/${entry}`);
      if (!roots.includes(canonical)) roots.push(canonical);
    } catch (error) {
      problems.push({ index, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { roots, problems };
}
