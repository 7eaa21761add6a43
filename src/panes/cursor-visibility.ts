import type { Terminal } from "@xterm/headless";

/** Where @xterm/headless 6 keeps DECTCEM: CoreService.isCursorHidden (src/common/services/CoreService.ts). */
interface CoreWithCursor {
  coreService?: { isCursorHidden?: unknown };
}

function coreService(term: Terminal): CoreWithCursor["coreService"] {
  return (term as unknown as { _core?: CoreWithCursor })._core?.coreService;
}

/**
 * Whether the program hid the cursor (DECTCEM: `CSI ? 25 l`; `CSI ? 25 h` and DECSTR show it again), as the
 * emulator keeps it: xterm's public API does not expose it. Undefined when this xterm version keeps it
 * elsewhere (test/panes/frame-of.test.ts fails then).
 */
export function cursorHidden(term: Terminal): boolean | undefined {
  const hidden = coreService(term)?.isCursorHidden;
  return typeof hidden === "boolean" ? hidden : undefined;
}

/**
 * Shows the cursor again, as a full reset (RIS, `ESC c`) does in xterm and VTE. Why: @xterm/headless 6's
 * reset leaves DECTCEM as it was, so a pane that hid its cursor and then ran `reset` showed a person no
 * cursor until a program asked for it again.
 */
export function showCursorOnReset(term: Terminal): void {
  const service = coreService(term);
  if (service && typeof service.isCursorHidden === "boolean") service.isCursorHidden = false;
}
