import { basename } from "node:path";
import { sanitizeText } from "../../panes/sanitize.js";
import type { AttachAccepted, ViewerStatus } from "./attach-protocol.js";

/** What the status line of `ccmux attach` is made from. */
export interface StatusParts {
  pane: AttachAccepted["pane"];
  status: ViewerStatus;
  /** The escape key as the person wrote it (`C-]`). */
  escapeKey: string;
  /** The person may take write (`--write`). */
  mayWrite: boolean;
  /** A pane larger than the terminal is clipped: e.g. "showing 80×23 of 120×40". */
  clipped?: string;
  /** A passing message (a key that does nothing, write refused). */
  note?: string;
}

/**
 * The status line: the pane's name, its program, whose it is, read-only or read-write, who else watches, and
 * how to leave. Pane-controlled parts (name, argv) are sanitized: the painter draws it as text.
 */
export function statusLine(parts: StatusParts): string {
  const { pane, status } = parts;
  const program = [basename(pane.argv[0] ?? "?"), ...pane.argv.slice(1)].join(" ");
  const owner = pane.owner === "person" ? "person" : `agent ${pane.session ?? ""}`.trim();
  const mode = status.write
    ? "READ-WRITE"
    : status.writeHeldBy !== undefined
      ? `read-only (pid ${status.writeHeldBy} is typing)`
      : "read-only";
  const others = status.viewers > 1 ? `${status.viewers} viewers` : undefined;
  const exit = status.exit
    ? status.exit.signal
      ? `exited (signal ${status.exit.signal})`
      : `exited (${status.exit.exitCode})`
    : undefined;
  const keys = `${parts.escapeKey} d detach${parts.mayWrite ? `, ${parts.escapeKey} w write` : ""}`;
  const fields = [pane.name, program, owner, mode, others, exit, parts.clipped, parts.note, keys];
  return sanitizeText(
    ` ${fields.filter((field) => field !== undefined && field !== "").join(" │ ")} `.replace(/\n/g, " "),
  );
}
