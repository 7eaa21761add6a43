import { fixturePath } from "./fixture-path.js";
import type { Served } from "./mcp-harness.js";

let marker = 1000;

/**
 * Types `command` into a shell pane and then an echo of a fresh marker whose text only appears once the
 * shell ran it (the typed line holds `$((n+0))`, the output `n`), waits for the marker and returns the
 * pane's whole scrollback.
 */
export async function runInShell(mcp: Served, pane: string, command: string): Promise<string> {
  marker += 1;
  await mcp.ok("send_keys", { pane, text: `${command}\necho "@@$((${marker}+0))@@"\n` });
  const waited = await mcp.ok<{ matched: boolean }>("wait_for", {
    pane,
    text: `@@${marker}@@`,
    timeout_ms: 15_000,
  });
  if (!waited.matched) throw new Error(`the shell did not finish: ${command}`);
  const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
  return text;
}

/** The shell command line running test/fixtures/sandbox-attack.py with these arguments, each single-quoted. */
export function attack(...args: string[]): string {
  return `python3 ${fixturePath("sandbox-attack.py")} ${args.map((a) => `'${a}'`).join(" ")}`;
}
