import { RE2JS } from "re2js";
import { CcmuxError } from "../errors.js";

/** Longest pattern accepted for wait_for. */
export const MAX_REGEX_LENGTH = 1024;
/**
 * Largest compiled program accepted, in RE2 instructions. RE2 is linear in the text, but each character costs
 * up to one step per instruction when the lazy DFA gives up (re2js 2.10: about 9 ns per instruction per
 * character): 5 000 instructions keep a check of a full 256 KB window near a second on the matcher thread.
 * `(?s).{1000}` compiles to about 1 000, the issue-9 pattern `(((…(.)…))){1000}` to 257 000.
 */
export const MAX_REGEX_INSTRUCTIONS = 5000;

/**
 * Compiles a wait_for pattern with RE2 semantics: matching is linear in the input, so a pane cannot stall the
 * server with catastrophic backtracking (ReDoS), whatever the pattern. Backreferences and lookaround, which
 * need backtracking, are refused as syntax errors; so are programs that would cost more than
 * MAX_REGEX_INSTRUCTIONS steps per character. Throws CcmuxError INVALID_ARGUMENT. The size is estimated from
 * the pattern before compiling, so even the refusal of a huge program costs no compile. Capture groups are
 * compiled as plain groups: a match is all wait_for asks, and captures inside a counted repetition made
 * re2js's NFA 100 times slower (`(?:(.)(.)){600}`: 16 s on 256 KB, 0.13 s without captures).
 */
export function compileWaitRegex(pattern: string): (text: string) => boolean {
  const compiled = compileChecked(pattern);
  return (text) => compiled.test(text);
}

/**
 * compileWaitRegex, answering where the first match is: UTF-16 offsets into `text`, `end` exclusive (for the
 * excerpt wait_for returns). Same checks and errors.
 */
export function compileWaitRegexLocator(
  pattern: string,
): (text: string) => { start: number; end: number } | undefined {
  const compiled = compileChecked(pattern);
  return (text) => {
    const matcher = compiled.matcher(text);
    return matcher.find() ? { start: matcher.start(), end: matcher.end() } : undefined;
  };
}

function compileChecked(pattern: string): RE2JS {
  const estimate = checkWaitRegexShape(pattern);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(withoutCaptures(pattern), RE2JS.MULTILINE);
  } catch (cause) {
    throw new CcmuxError("INVALID_ARGUMENT", `regex is not valid RE2 syntax: ${(cause as Error).message}`, {
      cause,
    });
  }
  const program = (compiled as unknown as { re2Input?: { prog?: { numInst?: () => number } } }).re2Input
    ?.prog;
  const instructions = typeof program?.numInst === "function" ? program.numInst() : estimate.instructions;
  if (instructions > MAX_REGEX_INSTRUCTIONS) tooCostly(instructions);
  return compiled;
}

/**
 * The part of compileWaitRegex that needs no compile (microseconds, fit for the thread that answers tool
 * calls): the length, and the program size estimated from the pattern's text. Throws CcmuxError
 * INVALID_ARGUMENT.
 */
export function checkWaitRegexShape(pattern: string): { instructions: number } {
  if (pattern.length === 0 || pattern.length > MAX_REGEX_LENGTH) {
    throw new CcmuxError("INVALID_ARGUMENT", `regex must be 1 to ${MAX_REGEX_LENGTH} characters.`);
  }
  const estimate = estimateProgramSize(withoutCaptures(pattern));
  // Security: regex cost amplification (issue 9): `((a{30}){30}b){30}` compiles to 30 000 instructions; each
  // costs a step per character, and compiling it alone holds a thread for 100 ms and more.
  if (estimate.instructions > MAX_REGEX_INSTRUCTIONS * 2) tooCostly(estimate.instructions);
  return estimate;
}

function tooCostly(instructions: number): never {
  throw new CcmuxError(
    "INVALID_ARGUMENT",
    `regex is too costly to match: it compiles to about ${instructions} RE2 instructions, at most ${MAX_REGEX_INSTRUCTIONS} are accepted. Use smaller counted repetitions ({n}) or fewer groups inside them.`,
  );
}

interface Frame {
  /** Size of the finished alternatives (with their `|`). */
  branches: number;
  /** Size of the current alternative without its last atom. */
  sum: number;
  /** Size of the last atom, which a following quantifier multiplies. */
  last: number;
  capturing: boolean;
}

const REPEAT = /^\{(\d+)(,(\d*))?\}/;

/**
 * An upper estimate of the RE2 program `pattern` compiles to, found by reading the pattern once (no parse
 * tree): each atom is one instruction, a capture group two more, `*+?` one more, and `{n,m}` repeats its atom
 * max(n, m) + 1 times. Counted repetitions inside others multiply, as they do when RE2 expands them.
 */
export function estimateProgramSize(pattern: string): { instructions: number } {
  const stack: Frame[] = [{ branches: 0, sum: 0, last: 0, capturing: false }];
  const top = (): Frame => stack[stack.length - 1] as Frame;
  const atom = (size: number): void => {
    const frame = top();
    frame.sum += frame.last;
    frame.last = size;
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === "Q") {
        const end = pattern.indexOf("\\E", i + 2);
        const stop = end === -1 ? pattern.length : end;
        for (let j = i + 2; j < stop; j++) atom(1);
        i = end === -1 ? pattern.length : end + 1;
        continue;
      }
      if ((next === "p" || next === "P" || next === "x") && pattern[i + 2] === "{") {
        const end = pattern.indexOf("}", i + 2);
        i = end === -1 ? pattern.length : end;
      } else i += 1;
      atom(1);
    } else if (c === "[") {
      i = classEnd(pattern, i);
      atom(1);
    } else if (c === "(") {
      let capturing = true;
      if (pattern[i + 1] === "?") {
        // The group's prefix is syntax, not atoms: (?flags) alone, (?flags:, (?P<name>, (?<name>, (?<=, (?<!
        const flagsOnly = /^\?[a-zA-Z-]*\)/.exec(pattern.slice(i + 1, i + 40));
        if (flagsOnly) {
          i += flagsOnly[0].length;
          continue;
        }
        const prefix = /^\?(?:P?<[A-Za-z_][A-Za-z0-9_]*>|<[=!]|[a-zA-Z-]*:)/.exec(
          pattern.slice(i + 1, i + 40),
        );
        capturing = prefix?.[0].endsWith(">") === true;
        if (prefix) i += prefix[0].length;
      }
      stack.push({ branches: 0, sum: 0, last: 0, capturing });
    } else if (c === ")") {
      if (stack.length === 1) continue; // RE2 refuses it when compiling
      const frame = stack.pop() as Frame;
      atom(frame.branches + frame.sum + frame.last + (frame.capturing ? 2 : 0));
    } else if (c === "|") {
      const frame = top();
      frame.branches += frame.sum + frame.last + 1;
      frame.sum = 0;
      frame.last = 0;
    } else if (c === "*" || c === "+" || c === "?") {
      top().last += 1;
    } else if (c === "{" && REPEAT.test(pattern.slice(i, i + 24))) {
      const match = REPEAT.exec(pattern.slice(i, i + 24)) as RegExpExecArray;
      const min = Number(match[1]);
      const max = match[3] === undefined || match[3] === "" ? min : Number(match[3]);
      top().last *= Math.max(min, max) + 1;
      i += match[0].length - 1;
    } else atom(1);
  }
  while (stack.length > 1) {
    const frame = stack.pop() as Frame;
    atom(frame.branches + frame.sum + frame.last + (frame.capturing ? 2 : 0));
  }
  const root = top();
  return { instructions: root.branches + root.sum + root.last };
}

/**
 * `pattern` with every capturing group made non-capturing (`(x)`, `(?P<n>x)` and `(?<n>x)` become `(?:x)`);
 * escapes, `\Q…\E` and character classes are left as they are. Matches exactly the same texts.
 */
export function withoutCaptures(pattern: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      if (pattern[i + 1] === "Q") {
        const end = pattern.indexOf("\\E", i + 2);
        i = end === -1 ? pattern.length : end + 1;
      } else i += 1;
    } else if (c === "[") i = classEnd(pattern, i);
    else if (c === "(") {
      const named = /^\(\?P?<[A-Za-z_][A-Za-z0-9_]*>/.exec(pattern.slice(i, i + 40));
      if (pattern[i + 1] === "?" && !named) continue;
      out += `${pattern.slice(from, i)}(?:`;
      from = i + (named ? named[0].length : 1);
    }
  }
  return out + pattern.slice(from);
}

/** Index of the `]` closing the class that opens at `start` (RE2 syntax: `[]a]`, `[^]a]`, `[[:alpha:]]`). */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === "^") i += 1;
  if (pattern[i] === "]") i += 1;
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") i += 1;
    else if (c === "[" && pattern[i + 1] === ":") {
      const end = pattern.indexOf(":]", i + 2);
      if (end !== -1) i = end + 1;
    } else if (c === "]") return i;
  }
  return pattern.length;
}
