import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { quote } from "shell-quote";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCcmuxError } from "../../src/errors.js";
import { parseCommandLine } from "../../src/validation/command-line.js";

const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 300);
const params = { seed: 42, numRuns: runs };
const hasBash = spawnSync("bash", ["-c", "true"]).status === 0;

function attempt(line: string): { ok: true; words: string[] } | { ok: false; code: string } {
  try {
    return { ok: true, words: parseCommandLine(line, 4096) };
  } catch (error) {
    return { ok: false, code: isCcmuxError(error) ? error.code : `foreign: ${String(error)}` };
  }
}

// Balanced, harmless fragments: words, quoted text (metacharacters inside), escapes.
const safeFragment = fc.oneof(
  fc.stringMatching(/^[a-z0-9._\-/=:,@%+]{1,6}$/),
  fc.stringMatching(/^[a-z ;|&$`*?#(){}<>]{0,6}$/).map((s) => `'${s}'`),
  fc.stringMatching(/^[a-z ;|&*?#(){}<>']{0,6}$/).map((s) => `"${s}"`),
  fc.constantFrom("\\;", "\\|", "\\ ", "\\'", '\\"', "\\&"),
);
const safeLine = fc.array(safeFragment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(" "));

// Unquoted syntax a shell would interpret; payloads are harmless in case one ever slipped through.
const unquotedSyntax = fc.constantFrom(
  ";",
  "&",
  "|",
  "&&",
  "||",
  ">",
  ">>",
  "<",
  "<<<",
  "<(true)",
  ">(true)",
  "(true)",
  "|&",
  "2>&1",
  "$(true)",
  "`true`",
  "$X",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell payload, not a template
  "${X}",
  '"$X"',
  '"`true`"',
  "$'x'",
  "*",
  "?",
  "*.ts",
  "[ab]",
  "{a,b}",
  "#c",
  "x$",
);
const controlChar = fc.constantFrom(
  "\n",
  "\r",
  "\0",
  "\t",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u009b",
  "\u2028",
  "\u2029",
  "\u200b",
  "\u202e",
  "\u00a0",
  "\ufeff",
);

describe("parseCommandLine properties", () => {
  it("no line with an unquoted operator, substitution, expansion, glob or comment is accepted", () => {
    fc.assert(
      fc.property(safeLine, unquotedSyntax, safeLine, fc.boolean(), (before, syntax, after, spaced) => {
        const line = spaced ? `${before} ${syntax} ${after}` : `${before} ${syntax}${after}`;
        expect(attempt(line)).toEqual({ ok: false, code: "COMMAND_SYNTAX_FORBIDDEN" });
      }),
      params,
    );
  });

  it("no line with a control or invisible character anywhere, quoted or not, is accepted", () => {
    fc.assert(
      fc.property(safeLine, controlChar, fc.nat(), (line, c, at) => {
        const i = at % (line.length + 1);
        expect(attempt(line.slice(0, i) + c + line.slice(i))).toEqual({
          ok: false,
          code: "COMMAND_SYNTAX_FORBIDDEN",
        });
      }),
      params,
    );
  });

  it("shell-quote's own quoting of any words parses back to those words or is refused", () => {
    const word = fc.string({
      unit: fc.constantFrom("a", " ", "'", '"', "\\", "$", "`", ";", "*", "#", "{", "~", "é"),
      maxLength: 6,
    });
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), (words) => {
        const result = attempt(quote(words));
        if (result.ok) expect(result.words).toEqual(words);
        else expect(result.code).toBe("COMMAND_SYNTAX_FORBIDDEN");
      }),
      params,
    );
  });
});

describe("parseCommandLine against real bash", () => {
  let dir = "";
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccmux-validation-bash-"));
    // Files a glob could match, so that a missed glob changes bash's words.
    for (const name of ["a1", "a2", "b"]) fs.writeFileSync(path.join(dir, name), "");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function bashWords(line: string): string[] | undefined {
    const run = spawnSync("bash", ["--norc", "--noprofile", "-c", `printf '%s\\0' ${line}`], {
      cwd: dir,
      // HOME=~ makes tilde expansion the identity, since ccmux leaves `~` to the path checks.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "~" },
      encoding: "utf8",
      timeout: 5000,
    });
    if (run.status !== 0) return undefined;
    return run.stdout.split("\0").slice(0, -1);
  }

  it.skipIf(!hasBash)("every accepted line splits into exactly the words bash gives", () => {
    // Mostly characters that may be accepted, so that many lines reach bash; some that must be refused.
    const unit = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          "x",
          "y",
          " ",
          "'",
          '"',
          "\\",
          "~",
          "=",
          "!",
          "%",
          "é",
          ",",
          "]",
          "-",
          "/",
        ),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom("$", "`", ";", "|", "&", "<", ">", "(", ")", "*", "?", "[", "{", "}", "#"),
      },
    );
    let accepted = 0;
    fc.assert(
      fc.property(fc.string({ unit, minLength: 1, maxLength: 12 }), (line) => {
        const result = attempt(line);
        if (!result.ok) {
          expect(["COMMAND_SYNTAX_FORBIDDEN"]).toContain(result.code);
          return;
        }
        accepted += 1;
        expect(result.words).toEqual(bashWords(line));
      }),
      { ...params, numRuns: Math.max(100, Math.floor(runs / 2)) },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});
