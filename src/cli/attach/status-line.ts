import { basename } from "node:path";
import { quote } from "shell-quote";
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
  /** Part of the pane, or of its text, is not shown: the pan keys are named. */
  clipped?: boolean;
  /** A passing message (a key that does nothing, write refused). */
  note?: string;
}

/**
 * The status line: read-only or read-write, whose pane it is, its name, how to leave, who else watches, how the
 * pane ended, a passing note, and its program. Pane-controlled parts (name, argv) are sanitized: the painter draws it as text.
 */
export function statusLine(parts: StatusParts): string {
  const { pane, status } = parts;
  // Security: arguments are the agent's, shell-quoted, so one cannot pass for more fields (an attack review named
  // a script 'a │ person │ READ-WRITE │ C-] d detach'); the program comes last and is what a narrow line cuts.
  const program = quote([basename(pane.argv[0] ?? "?"), ...pane.argv.slice(1)]);
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
  const keys = `${parts.escapeKey} d detach${parts.mayWrite ? `, ${parts.escapeKey} w write` : ""}${parts.clipped ? `, ${parts.escapeKey} hjkl pan` : ""}`;
  // Whether the person types, and into whose pane, come first: the painter cuts the line on the right.
  const fields = [mode, owner, pane.name, keys, others, exit, parts.note, program];
  return sanitizeText(
    ` ${fields.filter((field) => field !== undefined && field !== "").join(" │ ")} `.replace(/\n/g, " "),
  );
}
