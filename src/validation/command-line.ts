import { parse } from "shell-quote";
import { CcmuxError } from "../errors.js";
import { type ShellSyntax, SYNTAX_HINTS } from "./refusal-hints.js";

// Security: invisible or line-breaking characters (NUL, C0 incl. TAB/CR/LF, DEL, C1 incl. U+0085, zero-width
// and bidi format characters, U+2028/U+2029, non-ASCII spaces, lone surrogates) hide a second command or a
// different word split from the person reading the audit log.
const FORBIDDEN_CHAR = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]|[^\S ]/u;
const OPERATOR_CHARS = new Set([";", "&", "|", "<", ">", "(", ")"]);
const GLOB_CHARS = new Set(["*", "?", "["]);
const BRACE_CHARS = new Set(["{", "}"]);
const DQ_ESCAPABLE = new Set(['"', "\\"]);

/** The refusal of one piece of shell syntax: what it is, that no shell runs, and what to do instead. */
function forbidden(syntax: ShellSyntax, what: string, offset: number): CcmuxError {
  return new CcmuxError(
    "COMMAND_SYNTAX_FORBIDDEN",
    `the command line uses ${what}; ccmux runs no shell. Instead: ${SYNTAX_HINTS[syntax]}`,
    { data: { syntax, offset } },
  );
}

/** Which habit an operator character at `i` starts: `|` or `||`, `&&`, `;`, `>`/`2>&1`, …; `cd x && …` first. */
function operatorSyntax(line: string, i: number): { syntax: ShellSyntax; what: string } {
  const c = line.charAt(i);
  const next = line.charAt(i + 1);
  const chains = (c === "&" && next === "&") || (c === "|" && next === "|") || c === ";";
  if (chains && /^\s*(cd|pushd)(\s|$)/.test(line)) {
    return { syntax: "cd", what: `\`cd\` followed by \`${c === ";" ? c : c + next}\`` };
  }
  if (c === "|")
    return next === "|" ? { syntax: "and-or", what: "`||`" } : { syntax: "pipe", what: "`|` (a pipe)" };
  if (c === "&") {
    if (next === "&") return { syntax: "and-or", what: "`&&`" };
    if (next === ">") return { syntax: "redirection", what: "`&>` (a redirection)" };
    return { syntax: "background", what: "`&` (run in the background)" };
  }
  if (c === ";") return { syntax: "sequence", what: "`;` (a second command)" };
  if (c === "<" || c === ">") return { syntax: "redirection", what: `\`${c}\` (a redirection)` };
  return { syntax: "subshell", what: `\`${c}\` (a subshell)` };
}

/** `$(`/backtick is substitution; any other `$` a variable. */
function dollarSyntax(line: string, i: number): { syntax: ShellSyntax; what: string } {
  if (line.charAt(i) === "`" || line.charAt(i + 1) === "(") {
    return {
      syntax: "substitution",
      what: `\`${line.charAt(i) === "`" ? "`" : "$("}\` (command substitution)`,
    };
  }
  return { syntax: "variable", what: "`$` (a variable expansion)" };
}

/**
 * Splits words the way bash would for the small grammar ccmux accepts, refusing everything else. Used as an
 * independent second reading of the line: if it and shell-quote disagree, the line is refused.
 */
function splitLikeBash(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line.charAt(i);
    if (c === " ") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i += 1;
      continue;
    }
    // Security: `$(…)`, `${…}`, `$VAR`, `$'…'` and backticks are substitution outside single quotes, even
    // when escaped (shell-quote and bash disagree on escaped backticks inside double quotes).
    if (c === "$" || c === "`") {
      const { syntax, what } = dollarSyntax(line, i);
      throw forbidden(syntax, what, i);
    }
    if (c === "#" && !inWord) throw forbidden("comment", "`#` (a comment)", i);
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw forbidden("quote", "an unterminated single quote", i);
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      for (;;) {
        if (i >= line.length) throw forbidden("quote", "an unterminated double quote", i);
        const d = line.charAt(i);
        if (d === '"') break;
        if (d === "$" || d === "`") {
          const { syntax, what } = dollarSyntax(line, i);
          throw forbidden(syntax, what, i);
        }
        // Security: an interactive bash expands `!!` inside double quotes too.
        if (d === "!") throw forbidden("history", "`!` in double quotes (history expansion)", i);
        if (d === "\\" && DQ_ESCAPABLE.has(line.charAt(i + 1))) {
          word += line.charAt(i + 1);
          i += 2;
        } else {
          word += d;
          i += 1;
        }
      }
      i += 1;
    } else if (c === "\\") {
      // Security: bash keeps a trailing backslash, shell-quote drops it; a word-list gap either way.
      if (i + 1 >= line.length) throw forbidden("quote", "a trailing backslash", i);
      const next = line.charAt(i + 1);
      if (next === "$" || next === "`") {
        const { syntax, what } = dollarSyntax(line, i + 1);
        throw forbidden(syntax, what, i + 1);
      }
      word += next;
      i += 2;
    } else if (OPERATOR_CHARS.has(c)) {
      const { syntax, what } = operatorSyntax(line, i);
      throw forbidden(syntax, what, i);
    } else if (GLOB_CHARS.has(c)) {
      throw forbidden("glob", `\`${c}\` unquoted (a glob)`, i);
    } else if (c === "!") {
      // Security: `!!`, `!$`, `!cmd` re-run or paste earlier commands in an interactive shell: refused, as
      // every other expansion is, so that no line means something other than it shows.
      throw forbidden("history", "`!` unquoted (history expansion)", i);
    } else if (BRACE_CHARS.has(c)) {
      // Security: bash turns `{a,b}` into two words; shell-quote keeps one.
      throw forbidden("brace", `\`${c}\` unquoted (brace expansion)`, i);
    } else {
      word += c;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Words as shell-quote reads them; refuses operators, globs, comments and any variable lookup. */
function splitWithShellQuote(line: string): string[] {
  const lookups: string[] = [];
  const entries = parse(line, (name: string) => {
    lookups.push(name);
    return undefined;
  });
  if (lookups.length > 0) throw forbidden("variable", "a variable expansion", -1);
  return entries.map((entry) => {
    if (typeof entry === "string") return entry;
    if ("comment" in entry) throw forbidden("comment", "a comment", -1);
    if (entry.op === "glob") throw forbidden("glob", "an unquoted glob", -1);
    throw forbidden("subshell", `\`${entry.op}\` (a shell operator)`, -1);
  });
}

/**
 * Splits one command line into words like a shell would, without ever running a shell. Refuses
 * (COMMAND_SYNTAX_FORBIDDEN) operators, substitution, expansion, unquoted globs, braces and `!`, comments,
 * control and invisible characters, unterminated quotes and empty commands; LIMIT_EXCEEDED past maxBytes.
 * Quoted metacharacters are data: `echo "a;b" '$z'` gives ["echo", "a;b", "$z"].
 */
export function parseCommandLine(line: string, maxBytes: number): string[] {
  if (Buffer.byteLength(line, "utf8") > maxBytes) {
    throw new CcmuxError("LIMIT_EXCEEDED", `the command line is longer than ${maxBytes} bytes`, {
      data: { maxBytes },
    });
  }
  const bad = FORBIDDEN_CHAR.exec(line);
  if (bad) {
    const code = bad[0].codePointAt(0) ?? 0;
    const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
    const syntax = bad[0] === "\n" || bad[0] === "\r" ? "newline" : "invisible";
    throw forbidden(syntax, `the control or invisible character ${hex}`, bad.index);
  }
  const ours = splitLikeBash(line);
  const theirs = splitWithShellQuote(line);
  // Security: a gap between the words we check and the words a shell would see is the injection.
  if (ours.length !== theirs.length || ours.some((w, i) => w !== theirs[i])) {
    throw forbidden("quoting", "quoting that two parsers read differently", -1);
  }
  if (ours.length === 0) throw forbidden("empty", "no program (an empty command)", 0);
  return ours;
}
