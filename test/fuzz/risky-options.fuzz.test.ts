import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findRiskyArg } from "../../src/validation/option-guard.js";
import { RISKY_PROGRAMS } from "../../src/validation/risky-options.js";

const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 300);
const params = { seed: 42, numRuns: runs };

/** Every (program, spelling) pair in the table whose option applies with no subcommand scope. */
const CASES = RISKY_PROGRAMS.flatMap((program) =>
  program.options
    .filter((option) => option.subcommands === undefined)
    .flatMap((option) => option.spell.map((spell) => ({ program, spell }))),
);

/** Ways a program would read `spell`: as is, `=value`, a glued value, an abbreviation, inside a cluster. */
function spellings(
  spell: string,
  program: (typeof CASES)[number]["program"],
  value: string,
  cut: number,
): string[] {
  if (spell.startsWith("--")) {
    const forms = [spell, `${spell}=${value}`];
    const name = spell.slice(2);
    const prefix = name.slice(0, Math.max(1, Math.min(name.length, cut)));
    if (program.abbreviates && !program.safeLong?.includes(prefix)) forms.push(`--${prefix}=${value}`);
    if (program.underscoreIsDash) forms.push(spell.replaceAll("-", "_").replace(/^__/, "--"));
    return forms;
  }
  if (spell.length > 2) return [spell, `${spell}=${value}`];
  if (program.wordsOnly) return [spell];
  // A cluster: harmless letters first (those that take no value), then the option, then a glued value.
  const letter = spell.charAt(1);
  return [spell, `${spell}${value}`, `-${letter}`];
}

describe("fuzz: a table option let in by `**` is refused in every spelling the program reads", () => {
  it("refused under `**`, admitted when the same argument is literal", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CASES),
        fc.stringMatching(/^[a-z0-9./]{1,8}$/),
        fc.integer({ min: 1, max: 20 }),
        ({ program, spell }, value, cut) => {
          const name = program.names[0] as string;
          // Options that only apply before a subcommand (git -c) are tried there; others after one operand too.
          for (const form of spellings(spell, program, value, cut)) {
            const args = [form, "x"];
            expect(
              findRiskyArg([name], args, () => true),
              `${name} ${form}`,
            ).not.toBeNull();
            expect(
              findRiskyArg([name], args, () => false),
              `${name} ${form} literal`,
            ).toBeNull();
          }
        },
      ),
      params,
    );
  });
});
