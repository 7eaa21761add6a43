import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * `ccmux serve --daemon` runs beside every MCP client and only forwards lines to the daemon: what it loads is its
 * memory (issue 16). Its static module graph — from the CLI entry and the bridge, `await import()` not followed —
 * must not reach the MCP SDK, zod, the emulator, node-pty, the policy compiler or the tools; those load only
 * on the paths that need them (a broken policy, no daemon running yet).
 */
const SRC = resolve(import.meta.dirname, "../../src");
const FORBIDDEN = [
  /^zod/,
  /^@modelcontextprotocol\//,
  /^@xterm\//,
  /^node-pty/,
  /^src\/validation\/policy-(compile|schema)\.ts$/,
  /^src\/tools\//,
  /^src\/panes\//,
  /^src\/audit\//,
];

/** Every module `entry` imports statically (type-only imports and `await import()` left out), as src paths or package names. */
function staticGraph(entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    const text = readFileSync(file, "utf8");
    const specs = [
      ...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+"([^"]+)"/gms),
      ...text.matchAll(/^import\s+"([^"]+)"/gm),
    ].map((match) => match[1] as string);
    for (const spec of specs) {
      if (spec.startsWith("node:")) continue;
      if (!spec.startsWith(".")) {
        seen.add(spec);
        continue;
      }
      const target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
      const name = `src/${relative(SRC, target)}`;
      if (seen.has(name)) continue;
      seen.add(name);
      queue.push(target);
    }
  }
  return seen;
}

describe("the bridge's module graph", () => {
  it("reaches none of the heavy modules statically", () => {
    const graph = staticGraph([resolve(SRC, "cli/main.ts"), resolve(SRC, "cli/serve-bridge.ts")]);
    expect([...graph].filter((name) => FORBIDDEN.some((pattern) => pattern.test(name)))).toEqual([]);
    // The walk itself works: it sees what the bridge does need.
    expect(graph).toContain("src/cli/daemon-client.ts");
    expect(graph).toContain("src/daemon/daemon-verify.ts");
  });
});
