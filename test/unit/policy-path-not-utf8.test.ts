import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findPolicy } from "../../src/cli/policy-location.js";
import { CLI } from "../support/mcp-harness.js";

/**
 * An attack review: Node names files by strings and reads bytes that are not UTF-8 as U+FFFD, so a policy in
 * directory `u\xff` was loaded from `u\uFFFD` (another directory, another policy): given through a symlink, or
 * straight on the command line. Both are refused now.
 */
const EXAMPLE = new URL("../../examples/ccmux.json", import.meta.url).pathname;
const bytesPath = (...parts: Array<string | Buffer>): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part)));

let base: string;
afterEach(() => rmSync(base, { recursive: true, force: true }));

function twoDirectories(): { invalid: Buffer; lookalike: string } {
  base = mkdtempSync(join(tmpdir(), "ccmux-utf8-"));
  const invalid = bytesPath(base, "/u", Buffer.from([0xff]));
  const lookalike = join(base, "u\uFFFD");
  for (const dir of [invalid, lookalike]) {
    mkdirSync(dir);
    copyFileSync(EXAMPLE, bytesPath(dir, "/ccmux.json"));
  }
  return { invalid, lookalike };
}

describe("a policy path that is not UTF-8", () => {
  it("through a symlink: refused, not read as the look-alike file", () => {
    const { invalid } = twoDirectories();
    symlinkSync(invalid, join(base, "link"));
    const found = findPolicy(join(base, "link", "ccmux.json"));
    expect(found.file).toBeUndefined();
    expect("problem" in found && found.problem).toMatch(/not valid UTF-8/);
    // Control: the look-alike, named as it is, is found.
    expect(findPolicy(join(base, "u\uFFFD", "ccmux.json")).file).toBe(join(base, "u\uFFFD", "ccmux.json"));
  });

  it("on the command line: refused before anything runs", () => {
    twoDirectories();
    // Node would pass a Buffer argument on as UTF-8: the shell puts the byte itself into the command line.
    const run = spawnSync(
      "sh",
      [
        "-c",
        `exec "$0" "$1" policy check --config "$(printf '%s/u\\377' "$2")/ccmux.json" ls`,
        process.execPath,
        CLI,
        base,
      ],
      { encoding: "utf8" },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/an argument is not valid UTF-8/);
  });
});
