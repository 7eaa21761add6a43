import { CcmuxError } from "../errors.js";
import type { PaneInfo } from "../panes/pane-host.js";
import { MAX_RESULT_CHARS, sanitizeTail } from "../panes/sanitize.js";
import { screenBehindNote } from "../panes/screen-lost.js";
import { authorizePaneTarget, type PaneTool } from "../validation/pane-target.js";
import type { ToolDeps } from "./tool-deps.js";

/**
 * Finds the pane a call names and checks this connection's session may use `tool` on it (PANE_NOT_FOUND /
 * PANE_FORBIDDEN).
 */
export async function paneFor(deps: ToolDeps, id: string, tool: PaneTool): Promise<PaneInfo> {
  const pane = await deps.host.info(id);
  authorizePaneTarget(pane?.owner, deps.session, tool);
  return pane as PaneInfo;
}

/**
 * paneFor for a tool that acts on the pane's terminal (send_keys, resize_pane, run {pane}): once the target is authorized
 * (so nothing is revealed about panes this session cannot reach), also refuses a pane whose process has exited
 * (PANE_EXITED) and one a person holds write on (PANE_BUSY).
 */
export async function paneToDrive(
  deps: ToolDeps,
  id: string,
  tool: "send_keys" | "resize_pane" | "run",
): Promise<PaneInfo> {
  const pane = await paneFor(deps, id, tool);
  if (!pane.alive) throw new CcmuxError("PANE_EXITED", "The pane's process has exited; read it or kill it.");
  refuseWhilePersonTyping(pane);
  return pane;
}

/**
 * Throws PANE_BUSY while a person holds write on `pane` (`ccmux attach --write`); does nothing for a pane that is
 * gone (undefined: the act itself then answers PANE_NOT_FOUND).
 */
export function refuseWhilePersonTyping(pane: PaneInfo | undefined): void {
  // Security: a person who took the pane over must not have the agent's keys (or a resize) land in what they
  // are typing: the agent waits until they release it.
  if (pane?.personTyping) {
    throw new CcmuxError(
      "PANE_BUSY",
      "A person is typing in this pane (they hold write through ccmux attach); try again when they release it.",
      { data: { viewers: pane.viewers } },
    );
  }
}

/** Rendered pane text made safe for the agent: sanitized, then cut from the top so the newest lines stay. */
export function agentText(raw: string, maxChars = MAX_RESULT_CHARS): { text: string; truncated: boolean } {
  return sanitizeTail(raw, maxChars);
}

/**
 * agentText for a pane's read results, led by a line saying so when the pane's screen was lost to an emulator
 * fault, and one when the screen shown is behind the pane's output (the lines are never cut by truncation). `maxChars`: the result's budget (default MAX_RESULT_CHARS).
 */
export function paneAgentText(
  pane: PaneInfo,
  raw: string,
  maxChars = MAX_RESULT_CHARS,
): { text: string; truncated: boolean } {
  const behind = pane.screenBehindBytes ? screenBehindNote(pane.screenBehindBytes) : undefined;
  const notes = [pane.screenLost, behind].filter((line) => line !== undefined);
  if (notes.length === 0) return agentText(raw, maxChars);
  const note = notes.join("\n");
  const { text, truncated } = agentText(raw, maxChars - note.length - 1);
  return { text: `${note}\n${text}`, truncated };
}
