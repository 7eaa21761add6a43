import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layers' import directions (README, Development): tools → validation, panes, audit; those three never
 * import each other or anything above them; shared, native and errors.ts sit below all. src/daemon (the
 * daemon's socket, lock and peer checks) sits below cli, which runs the daemon; tools never import cli or
 * daemon, nor the embedded pane host behind the PaneHost seam.
 */
const SRC = resolve(import.meta.dirname, "../../src");
const MAY_IMPORT: Record<string, readonly string[]> = {
  validation: ["shared", "errors.ts"],
  panes: ["shared", "native", "errors.ts"],
  audit: ["shared", "native", "errors.ts"],
  shared: ["errors.ts"],
  native: [],
  tools: ["validation", "panes", "audit", "shared", "native", "errors.ts"],
  daemon: ["shared", "native", "errors.ts"],
};

/** Folders inside a layer that a layer above it must not reach into: the tools see panes only through the seam. */
const SEALED: Record<string, readonly string[]> = { tools: ["panes/embedded/"] };

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(dir, name));
}

describe("layer imports", () => {
  for (const [layer, allowed] of Object.entries(MAY_IMPORT)) {
    it(`src/${layer} imports only ${allowed.length > 0 ? allowed.join(", ") : "itself"} within src`, () => {
      const wrong: string[] = [];
      for (const file of sources(join(SRC, layer))) {
        for (const [, spec] of readFileSync(file, "utf8").matchAll(/from "(\.[^"]+)"/g)) {
          const target = relative(SRC, resolve(join(file, ".."), spec as string)).replace(/\.js$/, ".ts");
          const top = target.split("/")[0] as string;
          const sealed = (SEALED[layer] ?? []).some((folder) => target.startsWith(folder));
          if ((top !== layer && !allowed.includes(top)) || sealed)
            wrong.push(`${relative(SRC, file)} → ${target}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});
