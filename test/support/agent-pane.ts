import type { PaneSpawnSpec } from "../../src/panes/pane-host.js";

/** The environment the panes of these tests get: the tests' PATH, a UTF-8 locale, xterm's TERM. */
export const PANE_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  LANG: "C.UTF-8",
  TERM: "xterm-256color",
};

/**
 * The spawn spec of an unsandboxed agent pane with raw input running `argv` in this directory: 80×24 with 1 000
 * rows of history unless `options` say otherwise (any field of the spec may be given).
 */
export function agentPane(argv: readonly string[], options: Partial<PaneSpawnSpec> = {}): PaneSpawnSpec {
  return {
    name: "t",
    argv,
    cwd: process.cwd(),
    env: PANE_ENV,
    cols: 80,
    rows: 24,
    scrollback: 1000,
    owner: { kind: "agent", session: "test" },
    input: "raw",
    sandboxed: false,
    ...options,
  };
}
