import path from "node:path";
import { CcmuxError } from "../errors.js";
import { type OperandRule, type ProgramRisks, type RiskyOption, risksOf } from "./risky-options.js";
import { scriptProblem } from "./script-scan.js";

/** One argument that a wildcard let in and that would run a program, load code or write a file. */
export interface RiskyArg {
  /** Index into the program's arguments (0 = the first argument after the program). */
  argIndex: number;
  /** The option as the table spells it (`--output`, `-e`), or what the argument is (`a sed script`). */
  option: string;
  /** What it does: "runs a program", "loads code", "writes a file", or a script's command. */
  risk: string;
  /** The manual entry that documents it. */
  source: string;
  /** A literal token a rule could spell to allow it, when one exists. */
  literal?: string;
}

/** Decides, per argument index, whether a `*` or `**` matched it. */
export type WildcardTest = (argIndex: number) => boolean;

interface OptionReading {
  hit?: RiskyOption;
  /** The hit as spelled in the table (`-o`, `--output`). */
  spelled?: string;
  /** The option's name as read (`--expression`, `-e`), for script and file options. */
  name: string;
  /** The value glued to the option (`-escript`, `--expression=script`). */
  glued?: string;
  /** The next argument is this option's value. */
  takesNext: boolean;
}

interface Context {
  spec: ProgramRisks;
  /** The subcommand (first operand), once seen. */
  subcommand: string | undefined;
}

function applies(option: RiskyOption, ctx: Context): boolean {
  if (option.globalOnly && ctx.subcommand !== undefined) return false;
  if (option.subcommands && !option.subcommands.includes(ctx.subcommand ?? "")) return false;
  return true;
}

function longName(spelling: string): string | undefined {
  return spelling.startsWith("--") ? spelling.slice(2) : undefined;
}

/** `--name[=value]`: exact names first, then (when the program abbreviates) any option the name begins. */
function readLong(arg: string, ctx: Context): OptionReading {
  const { spec } = ctx;
  const eq = arg.indexOf("=");
  let name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
  if (spec.underscoreIsDash) name = name.replaceAll("_", "-");
  const glued = eq < 0 ? undefined : arg.slice(eq + 1);
  const matches = (full: string) =>
    full === name ||
    (spec.abbreviates === true && name.length > 0 && full.startsWith(name) && !spec.safeLong?.includes(name));
  let hit: RiskyOption | undefined;
  let spelled: string | undefined;
  for (const option of spec.options) {
    if (!applies(option, ctx)) continue;
    const found = option.spell.find((s) => {
      const full = longName(s);
      if (full === undefined) return false;
      // `--log*`: every option the name begins (V8's --log-all, --log-code, …).
      return full.endsWith("*") ? name.startsWith(full.slice(0, -1)) : matches(full);
    });
    if (found !== undefined) {
      hit = option;
      spelled = found.endsWith("*") ? `--${name}` : found;
      break;
    }
  }
  const valueLong = spec.valueLong ?? [];
  const known = [
    ...valueLong,
    ...[...(spec.script?.options ?? []), ...(spec.script?.fileOptions ?? [])].flatMap(
      (s) => longName(s) ?? [],
    ),
  ];
  // Security: `--expr=…` is `--expression=…` to getopt_long; the script it carries is scanned all the same.
  const full =
    known.find((k) => k === name) ?? (spec.abbreviates ? known.find((k) => matches(k)) : undefined);
  const takesNext = glued === undefined && full !== undefined && valueLong.includes(full);
  const canonical = spelled ?? `--${full ?? name}`;
  return {
    ...(hit ? { hit, spelled } : {}),
    name: canonical,
    ...(glued === undefined ? {} : { glued }),
    takesNext,
  };
}

/** `-word` spelled whole (find's `-exec`, zip's `-TT`), exactly or as `-word=value`. */
function readWord(arg: string, ctx: Context): OptionReading | undefined {
  const word = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
  for (const option of ctx.spec.options) {
    if (!applies(option, ctx)) continue;
    const found = option.spell.find((s) => !s.startsWith("--") && s.length > 2 && s === word);
    if (found !== undefined) return { hit: option, spelled: found, name: found, takesNext: false };
  }
  return undefined;
}

/** `-abc`: each letter an option until one that takes a value; its value is the rest, or the next argument. */
function readCluster(arg: string, ctx: Context): OptionReading {
  const { spec } = ctx;
  const valueShort =
    ctx.subcommand !== undefined && spec.subcommandValueShort !== undefined
      ? spec.subcommandValueShort
      : (spec.valueShort ?? "");
  for (let k = 1; k < arg.length; k += 1) {
    const letter = arg.charAt(k);
    const spelling = `-${letter}`;
    const hit = spec.options.find((option) => applies(option, ctx) && option.spell.includes(spelling));
    const rest = arg.slice(k + 1);
    if (hit !== undefined) {
      const takesNext = rest === "" && valueShort.includes(letter);
      return { hit, spelled: spelling, name: spelling, ...(rest ? { glued: rest } : {}), takesNext };
    }
    if (valueShort.includes(letter)) {
      return { name: spelling, ...(rest ? { glued: rest } : {}), takesNext: rest === "" };
    }
  }
  return { name: arg.length === 2 ? arg : "", takesNext: false };
}

function readOption(arg: string, ctx: Context): OptionReading {
  if (arg.startsWith("--")) return readLong(arg, ctx);
  const word = readWord(arg, ctx);
  if (word !== undefined || ctx.spec.wordsOnly) return word ?? { name: arg, takesNext: false };
  return readCluster(arg, ctx);
}

function hint(literal: string): string {
  return literal;
}

function fromOption(argIndex: number, reading: OptionReading): RiskyArg {
  const option = reading.spelled ?? reading.name;
  return {
    argIndex,
    option,
    risk: reading.hit?.risk ?? "",
    source: reading.hit?.source ?? "",
    literal: hint(option),
  };
}

/** `[USER@]HOST:PATH`: a colon before any slash (GNU tar rmt, cpio, rsync, scp read it as a remote name). */
const REMOTE = /^[^/]*:/;

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_.-]*[+?:!]?=/;

/** An operand's finding under one operand rule, or a launcher's inner program to check. */
function readOperand(
  rule: OperandRule,
  arg: string,
  operandIndex: number,
  wild: boolean,
): { finding?: Omit<RiskyArg, "argIndex">; launch?: true; assignment?: true } {
  switch (rule.kind) {
    case "assignment":
      if (!ASSIGNMENT.test(arg)) return {};
      return wild
        ? {
            finding: {
              option: `${arg.slice(0, arg.indexOf("="))}=`,
              risk: "sets a variable that can run code",
              source: rule.source,
            },
          }
        : { assignment: true };
    case "launcher":
      if (operandIndex !== rule.skip) return {};
      return wild
        ? { finding: { option: "a program name", risk: "runs a program", source: rule.source } }
        : { launch: true };
    case "subcommand":
      if (operandIndex !== 0 || !wild || rule.safe.includes(arg)) return {};
      return {
        finding: { option: arg, risk: "runs code or writes files", source: rule.source, literal: arg },
      };
    case "risky-subcommand":
      if (operandIndex !== 0 || !wild || !rule.risky.includes(arg)) return {};
      return {
        finding: { option: arg, risk: "runs code or writes files", source: rule.source, literal: arg },
      };
    case "every":
      if (operandIndex < (rule.from ?? 0)) return {};
      return wild ? { finding: { option: "an operand", risk: "runs a program", source: rule.source } } : {};
    case "output":
      if (!wild || operandIndex < (rule.from ?? 0)) return {};
      if (rule.prefix !== undefined && !arg.startsWith(rule.prefix)) return {};
      return {
        finding: { option: rule.prefix ?? "an output operand", risk: "writes a file", source: rule.source },
      };
    case "remote":
      return wild && REMOTE.test(arg)
        ? { finding: { option: "HOST:PATH", risk: "runs a remote shell (rsh/ssh)", source: rule.source } }
        : {};
    case "plus-command":
      return wild && arg.startsWith("+")
        ? { finding: { option: "+command", risk: "runs a command at start", source: rule.source } }
        : {};
  }
}

/**
 * A remote archive name (tar/cpio `-f HOST:FILE`) the caller chose, as the value of `reading`; null otherwise
 * or when the program's `--force-local` is a literal argument.
 */
function remoteValue(
  spec: ProgramRisks,
  reading: OptionReading,
  args: readonly string[],
  i: number,
  isWild: WildcardTest,
  isPath: WildcardTest,
): RiskyArg | null {
  const remote = spec.remoteFile;
  if (remote === undefined || !remote.options.includes(reading.name)) return null;
  const at = reading.glued !== undefined ? i : i + 1;
  const value = reading.glued ?? (reading.takesNext ? args[at] : undefined);
  if (value === undefined || !(isWild(at) || isPath(at)) || !REMOTE.test(value)) return null;
  if (args.some((a, j) => a === remote.local && !isWild(j))) return null;
  // Security: `tar -tf {path}` given `u@-oProxyCommand=CMD:f` runs rsh/ssh, which runs CMD.
  return {
    argIndex: at,
    option: reading.name,
    risk: `names a remote file (a colon before any slash) opened by running rsh/ssh; write ${remote.local} in the rule to read it as a local file`,
    source: remote.source,
  };
}

/**
 * The first argument a wildcard let in that would run a program, load code or write a file, reading the
 * arguments the way the program does (see risky-options.ts); or null. A launcher (env, xargs, timeout, …)
 * whose program is spelled literally has the rest of its arguments checked as that program's. `names` are
 * basenames to look the program up by (the rule's, then its realpath's). `isPath` marks `{path}` arguments: the
 * caller chose them too, so a remote `HOST:FILE` there is refused as under a wildcard.
 */
export function findRiskyArg(
  names: readonly string[],
  args: readonly string[],
  isWild: WildcardTest,
  isPath: WildcardTest = () => false,
): RiskyArg | null {
  const spec = risksOf(names);
  if (spec === undefined) return null;
  const ctx: Context = { spec, subcommand: undefined };
  const scripts: number[] = [];
  const scriptTexts = new Map<number, string>();
  let scriptGiven = false;
  let firstOperand: number | undefined;
  let operandIndex = 0;
  let endOfOptions = false;
  /** The first wildcard argument read as an option's value. */
  let wildValue: number | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const wild = isWild(i);
    const bundled = i === 0 && spec.bundledFirst === true && /^[A-Za-z]+$/.test(arg);
    if (!endOfOptions && arg === "--") {
      endOfOptions = true;
      continue;
    }
    if (!endOfOptions && ((arg.length > 1 && arg.startsWith("-")) || bundled)) {
      const reading = readOption(bundled ? `-${arg}` : arg, ctx);
      if (reading.hit !== undefined && wild) return fromOption(i, reading);
      const script = spec.script;
      if (script !== undefined) {
        if (script.fileOptions.includes(reading.name)) scriptGiven = true;
        if (script.options.includes(reading.name)) {
          scriptGiven = true;
          if (reading.glued !== undefined) {
            if (wild) scriptTexts.set(i, reading.glued);
          } else if (reading.takesNext && i + 1 < args.length) {
            scripts.push(i + 1);
          }
        }
      }
      if (spec.moduleOption !== undefined && reading.name === spec.moduleOption) {
        // `python -m pytest …`: the module is a program of its own; its arguments are checked as its.
        const at = reading.glued === undefined ? i + 1 : i;
        const module = reading.glued ?? args[at];
        if (module === undefined || isWild(at)) return fromOption(i, reading);
        const inner = findRiskyArg([module], args.slice(at + 1), (j) => isWild(at + 1 + j));
        return inner === null ? null : { ...inner, argIndex: inner.argIndex + at + 1 };
      }
      const remote = remoteValue(spec, reading, args, i, isWild, isPath);
      if (remote !== null) return remote;
      if (reading.takesNext) {
        if (isWild(i + 1)) wildValue ??= i + 1;
        i += 1;
      }
      continue;
    }
    if (spec.optionsFirst) endOfOptions = true;
    let launch = false;
    let assignment = false;
    const chosen = wild || isPath(i);
    for (const rule of spec.operands ?? []) {
      const read = readOperand(rule, arg, operandIndex, rule.kind === "remote" ? chosen : wild);
      if (read.finding) return { argIndex: i, ...read.finding };
      if (read.assignment) assignment = true;
      if (read.launch && !assignment) launch = true;
    }
    if (assignment) continue;
    if (launch) {
      const inner = findRiskyArg([path.basename(arg)], args.slice(i + 1), (j) => isWild(i + 1 + j));
      return inner === null ? null : { ...inner, argIndex: inner.argIndex + i + 1 };
    }
    if (operandIndex === 0) {
      firstOperand = i;
      ctx.subcommand = arg;
    }
    operandIndex += 1;
  }
  const launcher = spec.operands?.find((rule) => rule.kind === "launcher");
  if (launcher !== undefined && wildValue !== undefined) {
    // Security: a launcher that found no program may have read it as an option's value (`xargs --replace sh`
    // if --replace's value were not optional): a wildcard value there is refused rather than trusted.
    return {
      argIndex: wildValue,
      option: "a program name",
      risk: "may name the program to run",
      source: launcher.source,
    };
  }
  if (spec.script !== undefined && !scriptGiven && firstOperand !== undefined) scripts.push(firstOperand);
  for (const i of scripts) if (isWild(i)) scriptTexts.set(i, args[i] as string);
  for (const [i, text] of scriptTexts) {
    const problem = spec.script ? scriptProblem(spec.script.language, text) : null;
    if (problem !== null) {
      return {
        argIndex: i,
        option: `${spec.script?.language} ${problem.command}`,
        risk: problem.risk,
        source: problem.source,
      };
    }
  }
  return null;
}

/**
 * Throws ARGS_NOT_ALLOWED when a wildcard let in an argument that runs a program, loads code or writes a file
 * (findRiskyArg). The message names the argument and the option and says how a policy allows it: spell it out
 * as a literal token in the rule's shape. Data: {program, rule, argIndex (1-based), option, risk, source}.
 */
export function assertNoRiskyWildcard(
  names: readonly string[],
  args: readonly string[],
  isWild: WildcardTest,
  where: { program: string; rule: number },
  isPath: WildcardTest = () => false,
): void {
  const found = findRiskyArg(names, args, isWild, isPath);
  if (found === null) return;
  const how =
    found.literal !== undefined
      ? `to allow it, write ${JSON.stringify(found.literal)} as a literal token in the rule's args (a value may follow as its own \`*\` or {path}); a \`*\` or \`**\` never admits it`
      : "no `*` or `**` admits it; spell the whole argument out in the rule's args, or use another rule";
  throw new CcmuxError(
    "ARGS_NOT_ALLOWED",
    `argument ${found.argIndex + 1} of "${where.program}" (${found.option}) ${found.risk}; ${how}`,
    {
      data: {
        program: where.program,
        rule: where.rule,
        argIndex: found.argIndex + 1,
        option: found.option,
        risk: found.risk,
        source: found.source,
      },
    },
  );
}
