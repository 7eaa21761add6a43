// What a run measures with: pane geometry, the policy of the bench's servers, and how much each workload samples.

/** The agent's pane: 120×40. Memory rows use 80×24 panes with a full 10 000-line history. */
export const COLS = 120;
export const ROWS = 40;
export const MEM_COLS = 80;
export const MEM_ROWS = 24;
export const SCROLLBACK = 10_000;
/** Lines each memory pane prints: more than the scrollback holds. */
export const MEM_LINES = 12_000;
/** The longest wait any workload makes (a slow ingest on a loaded machine). */
export const LONG_MS = 600_000;

/**
 * The policy of the bench's servers, with the sandbox off (as tmux runs its panes) or required.
 * @param {"off" | "required"} [sandbox]
 */
export function benchPolicy(sandbox = "off") {
  return {
    commands: [
      { command: "cat", args: [""], input: "raw", description: "bench: echo pane" },
      { command: "cat", args: ["{path}"], description: "bench: print a workspace file" },
      { command: "bash", args: ["--norc --noprofile"], input: "raw", description: "bench: shell" },
      { command: "node", args: ["{path} *"], description: "bench: flood writer" },
      { command: "yes", args: ["", "*"], description: "bench: interference flood" },
    ],
    env: { pass: ["PATH", "HOME", "LANG"], passSecrets: [], fromAgent: [] },
    limits: {
      maxPanes: 128,
      maxExitedPanes: 128,
      callsPerMinute: 100_000,
      burst: 100_000,
      scrollbackLines: SCROLLBACK,
      maxInputBytes: 4096,
      maxWaitMs: LONG_MS,
      maxWaiters: 64,
    },
    sandbox: sandbox === "off" ? { mode: "off" } : { mode: sandbox, network: false },
  };
}

/**
 * How much each workload measures per run; `runs` is how many runs each figure summarizes.
 * @param {{ quick: boolean, runs: number }} options
 */
export function benchConfig({ quick, runs }) {
  return {
    quick,
    runs,
    warmup: quick ? 3 : 10,
    block: quick ? 10 : 25,
    reads: quick ? 30 : 100,
    keys: quick ? 20 : 60,
    spawns: quick ? 6 : 25,
    interference: quick ? 30 : 100,
    sends: quick ? 30 : 100,
    attach: quick ? 10 : 40,
    runCalls: quick ? 8 : 20,
    reconnects: quick ? 1 : 3,
    auditRecords: quick ? 300 : 2000,
    ingestMB: quick ? 10 : 50,
    floodMB: quick ? 20 : 200,
    memCounts: quick ? [10] : [10, 50, 100],
    daemonPanes: quick ? 10 : 100,
    journalPanes: quick ? 4 : 16,
  };
}

/** @typedef {ReturnType<typeof benchConfig>} Config */

/** The last line of screen.txt: a read of a full screen must show it. */
export const SCREEN_LAST = `SCREEN-LAST-LINE ${"=".repeat(COLS)}`.slice(0, COLS);
