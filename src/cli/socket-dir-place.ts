import { realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { isInside } from "../validation/canonical-path.js";

/**
 * Why the daemons' socket directory `dir` may not be used with a policy of workspace roots `workspace` (canonical),
 * or undefined when it may.
 *
 * Security: a socket directory inside a workspace root (XDG_RUNTIME_DIR pointing into the project) can be
 * replaced by any pane, sandboxed or not: the sandbox hides the directory itself, but a pane may rename its parent
 * and make a new one, which the next bridge then trusts (it is ours and private) — an attack review did this and
 * reached the new daemon's sessions. A workspace inside the socket directory would hand panes the sockets.
 */
export function socketDirProblem(dir: string, workspace: readonly string[]): string | undefined {
  // Security: the roots are canonical, so the directory must be too: XDG_RUNTIME_DIR=/tmp/link/rt with /tmp/link a
  // symlink into the workspace passed the check, and an attack review's sandboxed pane replaced the directory
  // and answered another conversation's bridge as its daemon. Both spellings are checked.
  const spellings = [dir, canonicalDir(dir)];
  const root = workspace.find((root) =>
    spellings.some((path) => isInside(path, root) || isInside(root, path)),
  );
  if (root === undefined) return undefined;
  return `the socket directory ${dir} and the workspace root ${root} overlap, so panes could replace the socket directory; set XDG_RUNTIME_DIR outside the workspace`;
}

/** `dir` with every symlink resolved: of the directory, or of its parent when it does not exist yet. */
function canonicalDir(dir: string): string {
  for (let path = dir, rest = ""; ; ) {
    try {
      return join(realpathSync(path), rest);
    } catch {
      const parent = dirname(path);
      if (parent === path) return dir;
      rest = join(basename(path), rest);
      path = parent;
    }
  }
}
