/**
 * The words the policy (src/validation) and the pane host (src/panes) share about a pane, in one place below
 * both: neither layer may import the other, and each used to keep its own copy.
 */

/**
 * What `send_keys` may deliver to panes of a program; `validated` (bash, zsh): a shell whose commands come only through
 * `run`, each checked like spawn, and whose keys follow the program in front (src/panes/shell).
 */
export const INPUT_MODES = ["none", "keys", "raw", "validated"] as const;
export type InputMode = (typeof INPUT_MODES)[number];

/**
 * What the agent may do to a pane the person started: read_pane/wait_for, also send_keys/kill_pane/resize_pane,
 * or nothing.
 */
export const PANE_ACCESS = ["read", "write", "none"] as const;
export type PaneAccess = (typeof PANE_ACCESS)[number];

/**
 * Who a pane belongs to: the agent session that spawned it (`ccmux serve`: its one connection; the daemon: the
 * session named by `--session`), or the person (with the access granted to agents).
 */
export type PaneOwner = { kind: "agent"; session: string } | { kind: "person"; access: PaneAccess };

/** The terminal type panes emulate (@xterm/headless), given to their programs as TERM. */
export const PANE_TERM = "xterm-256color";

/** Whether the pane sandbox can be built on this machine now, and if not, why (bubblewrap's probe). */
export type SandboxStatus = { available: true } | { available: false; reason: string };
