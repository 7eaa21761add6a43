import { CcmuxError } from "../errors.js";
import type { PaneOwner } from "../shared/pane-words.js";

/** The tools that name a pane, and the access each needs on a person's pane. */
export type PaneTool = "read_pane" | "wait_for" | "send_keys" | "kill_pane" | "resize_pane" | "run";

/** What authorization needs to know about a pane: its owner. */
export type PaneOwnerView = PaneOwner;

/** `run {pane}` types a command into a validated shell: an act on the pane like send_keys. */
const NEEDS_WRITE: ReadonlySet<PaneTool> = new Set(["send_keys", "kill_pane", "resize_pane", "run"]);

/**
 * Decides whether agent `session` may use `tool` on a pane (seed §6.1, pane escape). A session reaches the
 * panes it spawned and the person's panes whose access allows the tool; any other pane does not exist for it.
 */
export function authorizePaneTarget(owner: PaneOwnerView | undefined, session: string, tool: PaneTool): void {
  // Security: another session's pane answers exactly like a missing one, so ids cannot be probed.
  if (owner === undefined || (owner.kind === "agent" && owner.session !== session)) {
    throw new CcmuxError("PANE_NOT_FOUND", "No such pane: use list_panes to see the panes you can reach.");
  }
  if (owner.kind === "agent") return;
  // Security: a person's pane grants only what its `access` says (read → read/wait, write → also type, kill and
  // resize: a resize makes the person's program redraw, so it is an act on their pane, not a read).
  if (owner.access === "none" || (owner.access === "read" && NEEDS_WRITE.has(tool))) {
    throw new CcmuxError(
      "PANE_FORBIDDEN",
      `This pane belongs to the person and its access is "${owner.access}": ${tool} is not allowed on it.`,
      { data: { access: owner.access } },
    );
  }
}

/** Whether a pane appears in list_panes for agent `session` (its own panes and every person pane). */
export function isPaneListed(owner: PaneOwnerView, session: string): boolean {
  return owner.kind === "person" || owner.session === session;
}
