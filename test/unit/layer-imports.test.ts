import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layers' import directions (README, Development): tools → validation, panes, audit; those three never
 * import each other or anything above them; shared, native and errors.ts sit below all.
 */
const SRC = resolve(import.meta.dirname, "../../src");
const MAY_IMPORT: Record<string, readonly string[]> = {
  validation: ["shared", "errors.ts"],
  panes: ["shared", "native", "errors.ts"],
  audit: ["shared", "native", "errors.ts"],
  shared: ["errors.ts"],
  native: [],
};

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
          if (top !== layer && !allowed.includes(top)) wrong.push(`${relative(SRC, file)} → ${target}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});
