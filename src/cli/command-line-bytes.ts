import { readFileSync } from "node:fs";

/**
 * Whether this process's command line (/proc/self/cmdline) holds an argument whose bytes are not UTF-8; false
 * when it cannot be read. Security: Node decodes such bytes as U+FFFD in process.argv, so `--config 'u\xff/x.json'`
 * named another file, `u\uFFFD/x.json`, than the one the person gave (an attack review). Checked before a bridge
 * executes itself again (lean-bridge.ts), which would pass on the decoded strings.
 */
export function commandLineNotUtf8(): boolean {
  let bytes: Buffer;
  try {
    bytes = readFileSync("/proc/self/cmdline");
  } catch {
    return false;
  }
  return !Buffer.from(bytes.toString("utf8"), "utf8").equals(bytes);
}
