import type { SandboxLayout } from "../../src/panes/sandbox/mount-plan.js";
import { DEFAULT_READ_ONLY } from "../../src/validation/sandbox-paths.js";

/** The sandbox layout of a policy with one workspace root, `home`, the hidden patterns `hide` and the default read-only list. */
export function spawnLayout(ws: string, home: string, hide: readonly string[]): SandboxLayout {
  return {
    workspace: [ws],
    hide,
    readOnly: DEFAULT_READ_ONLY,
    alwaysHide: [],
    alwaysReadOnly: [],
    reveal: [],
    home,
  };
}
