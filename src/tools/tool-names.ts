/**
 * The names of the tools ccmux serves, as `tools/list` gives them (create-server.ts registers one tool per
 * name; test/e2e/audit-show-explains-refusals.e2e.test.ts checks the two agree). The audit CLI checks `--tool` against
 * these and against the names found in the log (an agent may have called a tool that does not exist).
 */
export const TOOL_NAMES: readonly string[] = [
  "spawn",
  "send_keys",
  "read_pane",
  "list_panes",
  "kill_pane",
  "wait_for",
  "resize_pane",
  "run",
  "policy",
];
