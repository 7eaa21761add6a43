import { CcmuxError } from "../errors.js";

/** One token of an argument shape. */
export type PatternToken =
  | { readonly kind: "literal"; readonly value: string }
  /** `*`: exactly one argument. */
  | { readonly kind: "one" }
  /** `**`: every remaining argument, zero or more. */
  | { readonly kind: "rest" }
  /** `{path}`: one argument that must canonicalize inside the workspace. */
  | { readonly kind: "path" };

export interface CompiledPattern {
  readonly source: string;
  readonly tokens: readonly PatternToken[];
}

export interface ArgsMatch {
  /** Index of the first pattern that matched. */
  patternIndex: number;
  /** Indexes into args of `{path}` arguments. */
  pathArgs: number[];
  /** Indexes into args matched by `*` or `**`. */
  wildcardArgs: number[];
}

function compileError(message: string): CcmuxError {
  return new CcmuxError("POLICY_INVALID", message);
}

function compileToken(text: string, isLast: boolean): PatternToken {
  if (text === "") throw compileError("an empty token (two spaces in a row, or a leading or trailing space)");
  if (text === "*") return { kind: "one" };
  if (text === "**") {
    if (!isLast) throw compileError("`**` may only be the last token");
    return { kind: "rest" };
  }
  if (text === "{path}") return { kind: "path" };
  if (text.startsWith("{") && text.endsWith("}")) {
    throw compileError(`unknown placeholder ${JSON.stringify(text)}; the only one is {path}`);
  }
  if (text.includes("*")) {
    throw compileError(
      `${JSON.stringify(text)}: \`*\` and \`**\` are whole tokens, never globs inside a word`,
    );
  }
  return { kind: "literal", value: text };
}

/**
 * Compiles one argument shape: tokens split on ASCII spaces, each a literal, `*`, `**` (last only) or
 * `{path}`; `""` means no arguments. Throws POLICY_INVALID for a malformed shape, so typos fail at load.
 */
export function compileArgPattern(source: string): CompiledPattern {
  if (source === "") return { source, tokens: [] };
  const texts = source.split(" ");
  return { source, tokens: texts.map((text, i) => compileToken(text, i === texts.length - 1)) };
}

function matchOne(
  tokens: readonly PatternToken[],
  args: readonly string[],
): Omit<ArgsMatch, "patternIndex"> | null {
  const pathArgs: number[] = [];
  const wildcardArgs: number[] = [];
  for (const [i, token] of tokens.entries()) {
    if (token.kind === "rest") {
      for (let j = i; j < args.length; j += 1) wildcardArgs.push(j);
      return { pathArgs, wildcardArgs };
    }
    const arg = args[i];
    if (arg === undefined) return null;
    if (token.kind === "one") wildcardArgs.push(i);
    else if (token.kind === "path") pathArgs.push(i);
    // Security: exact comparison, so `ｇit`, `status\u200b` or `%73tatus` never match a literal.
    else if (arg !== token.value) return null;
  }
  return args.length === tokens.length ? { pathArgs, wildcardArgs } : null;
}

/** True when a `{path}` slot holds an option (`--version`): a later shape may read it as the option it is. */
export function optionInPathSlot(found: Pick<ArgsMatch, "pathArgs">, args: readonly string[]): boolean {
  return found.pathArgs.some((i) => (args[i] ?? "").startsWith("-"));
}

/**
 * The first pattern that the arguments match, with the arguments still to be path-checked; or null. A match
 * that puts an option in a `{path}` slot counts only when no other pattern matches (`node {path}` must not
 * shadow `node --version`; alone, it is refused as a path that is an option).
 */
export function matchArgs(patterns: readonly CompiledPattern[], args: readonly string[]): ArgsMatch | null {
  let fallback: ArgsMatch | null = null;
  for (const [patternIndex, pattern] of patterns.entries()) {
    const found = matchOne(pattern.tokens, args);
    if (found === null) continue;
    if (!optionInPathSlot(found, args)) return { patternIndex, ...found };
    fallback ??= { patternIndex, ...found };
  }
  return fallback;
}
