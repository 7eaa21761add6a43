import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { findRiskyArg } from "../../src/validation/option-guard.js";
import { risksOf } from "../../src/validation/risky-options.js";

/**
 * Panes run the node on the server's PATH, which may be Node 20, 22 or 24 (CI runs this file on each). Options
 * a newer node added were read as operands (so what followed them escaped the guard), and some load code or
 * write files.
 */
const node = risksOf(["node"]);
const all = () => true;

describe("options of this node (`node --help`) that `node **` lets in", () => {
  it(`every option node ${process.version} shows taking a value is read as one`, () => {
    const help = execFileSync(process.execPath, ["--help"], { encoding: "utf8" });
    const valued = [...help.matchAll(/^ +(?:-\w, )?--([a-z0-9-]+)=/gm)].map((m) => m[1] as string);
    expect(valued.length).toBeGreaterThan(20);
    expect(valued.filter((name) => !node?.valueLong?.includes(name))).toEqual([]);
  });

  it.each([
    ["--experimental-config-file=cfg.json", "--experimental-config-file"],
    ["--experimental-config-file cfg.json", "--experimental-config-file"],
    ["--experimental-default-config-file", "--experimental-default-config-file"],
    ["--test-global-setup=./setup.mjs", "--test-global-setup"],
    ["--experimental-package-map=map.json", "--experimental-package-map"],
    ["--entry-url", "--entry-url"],
    ["--localstorage-file=CLAUDE.md", "--localstorage-file"],
    ["--test-rerun-failures=CLAUDE.md", "--test-rerun-failures"],
    ["--test-coverage-include x --import=data:text/javascript,1", "--import"],
    ["--watch-kill-signal SIGINT --require ./x.js", "--require"],
  ])("node --test %s is refused (%s)", (options, option) => {
    expect(findRiskyArg(["node"], ["--test", ...options.split(" ")], all)?.option).toBe(option);
  });

  it("node --test --test-coverage-include src is let in (control)", () => {
    expect(findRiskyArg(["node"], ["--test", "--test-coverage-include", "src"], all) ?? null).toBeNull();
  });
});
