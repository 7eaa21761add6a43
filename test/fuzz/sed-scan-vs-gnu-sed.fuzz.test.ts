import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { scriptProblem } from "../../src/validation/script-scan.js";

const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 300);
const params = { seed: 7, numRuns: runs };

/** GNU sed 4.6+ prints the program it parsed with --debug; without it this differential cannot run. */
const debugSed = spawnSync("sed", ["--debug", "-n", "p", "/dev/null"], { encoding: "utf8" }).status === 0;

// Pieces of sed's grammar around labels, blocks, separators, comments and text: no `/` (a `w` file name
// stays inside the scratch directory) and no digits or `$` (program lines then start with their command).
const COMMANDS = [
  ":k",
  "bk",
  "tk",
  "b",
  "p",
  "{",
  "}",
  "!p",
  "s,k,k,",
  "s,k,k,g",
  "a k\\",
  "#k",
  "e k",
  "e",
  "w k",
  "W k",
  "r k",
  "s,k,k,e",
];
const SEPARATORS = [" ", "\t", ";", "\n", "", "}", " }", "\\\n"];

/** The commands GNU sed parsed that run a program, read or write a file (from `sed --debug`'s listing). */
function dangerousCommands(listing: string): string[] {
  const found: string[] = [];
  let inText = false;
  for (const line of listing.split("\n").slice(1)) {
    // a/i/c text is printed unindented after `a\` and ends with an empty line.
    if (inText) {
      if (line === "") inText = false;
      continue;
    }
    const command = line.trimStart().replace(/^!\s*/, "");
    if (/^[aic]\\/.test(command)) inText = true;
    else if (/^[ewWrR](\s|$)/.test(command) || /^s(.).*\1.*\1[^\s]*[ew]/.test(command)) found.push(command);
  }
  return found;
}

const scratch = mkdtempSync(join(tmpdir(), "ccmux-sed-diff-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("fuzz: the sed scanner admits no script in which GNU sed finds e, r or w", () => {
  it.skipIf(!debugSed)(
    "every admitted script parses, in GNU sed --debug, without e/r/R/w/W or s///e, s///w",
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.constantFrom(...COMMANDS), fc.constantFrom(...SEPARATORS)), {
            minLength: 1,
            maxLength: 6,
          }),
          (pieces) => {
            const script = pieces.map(([command, separator]) => command + separator).join("");
            if (scriptProblem("sed", script) !== null) return;
            // Parse only: /dev/null gives no input line, so no command runs (w files would be opened here, in
            // the scratch directory: the file name has no slash).
            const out = spawnSync("sed", ["--debug", "-n", "-e", script, "/dev/null"], {
              cwd: scratch,
              encoding: "utf8",
            });
            if (out.status !== 0) return;
            expect(dangerousCommands(out.stdout), JSON.stringify(script)).toEqual([]);
          },
        ),
        params,
      );
    },
  );

  it.skipIf(!debugSed)("the listing reader sees the label attack (so the property can fail)", () => {
    const out = spawnSync("sed", ["--debug", "-n", "-e", ":k e id", "/dev/null"], { encoding: "utf8" });
    expect(dangerousCommands(out.stdout)).toEqual(["e id"]);
  });
});
