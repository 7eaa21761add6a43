import { CcmuxError } from "../errors.js";
import type { SandboxStatus } from "../shared/pane-words.js";
import type { SandboxMode } from "./policy-schema.js";

export interface SandboxDecision {
  sandboxed: boolean;
  /** Set when the pane runs unsandboxed although the policy asked for the sandbox where possible (`auto`). */
  warning?: string;
}

/**
 * Decides whether a pane runs sandboxed. Security: `required` fails closed — a missing or broken bubblewrap
 * refuses the spawn (SANDBOX_UNAVAILABLE) before anything starts, never a silent fallback to no sandbox.
 */
export function decideSandbox(mode: SandboxMode, availability: () => SandboxStatus): SandboxDecision {
  if (mode === "off") return { sandboxed: false };
  const now = availability();
  if (now.available) return { sandboxed: true };
  if (mode === "required") {
    throw new CcmuxError(
      "SANDBOX_UNAVAILABLE",
      "The policy requires the pane sandbox, which cannot be built here; nothing was started. Install bubblewrap (Debian: apt-get install bubblewrap), run `ccmux doctor`, or set sandbox.mode to auto or off.",
      { data: { reason: now.reason } },
    );
  }
  return { sandboxed: false, warning: `pane runs UNSANDBOXED (sandbox.mode auto): ${now.reason}` };
}
