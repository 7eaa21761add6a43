import { spawnSync } from "node:child_process";
import { fixturePath } from "./fixture-path.js";

/** test/fixtures/hostile-terminal-output.mjs where a sandboxed pane can read it too (see fixturePath). */
export const HOSTILE_TERMINAL_SCRIPT = fixturePath("hostile-terminal-output.mjs");

/** The fixture's part names, in the order it prints them (`--list`). */
export const HOSTILE_PARTS: readonly string[] = spawnSync(
  process.execPath,
  [HOSTILE_TERMINAL_SCRIPT, "--list"],
  {
    encoding: "utf8",
  },
)
  .stdout.split("\n")
  .filter(Boolean);

/**
 * argv running the fixture with node: every part (no option), `only` those parts, or `echoOnly` none; `once`
 * exits after printing instead of echoing stdin as GOT lines.
 */
export function hostileCommand({
  only,
  once = false,
  echoOnly = false,
}: {
  only?: readonly string[];
  once?: boolean;
  echoOnly?: boolean;
} = {}): string[] {
  return [
    process.execPath,
    HOSTILE_TERMINAL_SCRIPT,
    ...(only ? ["--only", only.join(",")] : []),
    ...(once ? ["--once"] : []),
    ...(echoOnly ? ["--echo-only"] : []),
  ];
}

/**
 * The lines the fixture received, in order, decoded from the screen: each `GOT:` line with its `GOT+`
 * continuations, `<HH>` turned back into the byte it stands for (latin1: one character per byte).
 */
export function receivedLines(screen: string): string[] {
  const lines: string[] = [];
  for (const row of screen.split("\n")) {
    if (row.startsWith("GOT:")) lines.push(row.slice(4));
    else if (row.startsWith("GOT+") && lines.length > 0) lines[lines.length - 1] += row.slice(4);
  }
  return lines.map((line) =>
    line.replace(/<([0-9A-F]{2})>/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
  );
}
