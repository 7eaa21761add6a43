/** `run`'s structuredContent, as the e2e tests read it (src/tools/run-tool.ts). */
export interface RunResult {
  pane: string;
  name: string;
  exitCode: number | null;
  signal: number | null;
  alive: boolean;
  reason: string;
  elapsedMs: number;
  output: string;
  truncated: number;
  /** A validated shell's directory after the command. */
  cwd?: string;
  uncertain?: boolean;
}
