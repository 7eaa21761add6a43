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
  const root = workspace.find((root) => isInside(dir, root) || isInside(root, dir));
  if (root === undefined) return undefined;
  return `the socket directory ${dir} and the workspace root ${root} overlap, so panes could replace the socket directory; set XDG_RUNTIME_DIR outside the workspace`;
}
