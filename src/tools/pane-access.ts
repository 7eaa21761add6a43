import type { PaneInfo } from "../panes/pane-host.js";
import { MAX_RESULT_CHARS, sanitizeText, truncateTail } from "../panes/sanitize.js";
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

/** Rendered pane text made safe for the agent: sanitized, then cut from the top so the newest lines stay. */
export function agentText(raw: string, maxChars = MAX_RESULT_CHARS): { text: string; truncated: boolean } {
  return truncateTail(sanitizeText(raw), maxChars);
}

/**
 * agentText for a pane's read results, led by a line saying so when the pane's screen was lost to an emulator
 * fault (the line is never cut by truncation). `maxChars`: the result's budget (default MAX_RESULT_CHARS).
 */
export function paneAgentText(
  pane: PaneInfo,
  raw: string,
  maxChars = MAX_RESULT_CHARS,
): { text: string; truncated: boolean } {
  const note = pane.screenLost;
  if (note === undefined) return agentText(raw, maxChars);
  const { text, truncated } = agentText(raw, maxChars - note.length - 1);
  return { text: `${note}\n${text}`, truncated };
}
