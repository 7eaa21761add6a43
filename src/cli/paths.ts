import { homedir } from "node:os";
import { join } from "node:path";

/** $XDG_CONFIG_HOME/ccmux, or ~/.config/ccmux. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(absoluteOr(env.XDG_CONFIG_HOME, join(homedir(), ".config")), "ccmux");
}

/** $XDG_STATE_HOME/ccmux, or ~/.local/state/ccmux: where the audit log lives by default. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(absoluteOr(env.XDG_STATE_HOME, join(homedir(), ".local", "state")), "ccmux");
}

export function defaultAuditPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), "audit.jsonl");
}

// The XDG spec says relative values are invalid and must be ignored.
function absoluteOr(value: string | undefined, fallback: string): string {
  return value?.startsWith("/") ? value : fallback;
}
