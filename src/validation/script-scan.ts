/**
 * Reads sed and awk program text given as an argument and finds the commands that run a program, read or
 * write a file. Conservative: text it cannot read is reported too (sed would refuse it; awk we cannot tell).
 * Used by option-guard.ts only for program text a `*` or `**` let in.
 */

export interface ScriptProblem {
  /** The command or construct, e.g. `e`, `s///w`, `system()`, `|`. */
  command: string;
  risk: string;
  source: string;
}

const SED = "sed(1) COMMANDS / GNU sed manual §3.2–3.8 (e, r, R, w, W commands; s///e and s///w flags)";
const AWK =
  "awk(1) / gawk(1) manual §4.9 Redirecting Output, §9.1.4 system(), §9.3 Indirect Function Calls, §2.7 @load/@include";

function problem(command: string, risk: string, source: string): ScriptProblem {
  return { command, risk, source };
}

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(offset = 0): string {
    return this.s.charAt(this.i + offset);
  }
  next(): string {
    const c = this.s.charAt(this.i);
    this.i += 1;
    return c;
  }
  skip(re: RegExp): void {
    while (!this.done && re.test(this.peek())) this.i += 1;
  }
  /** Skips to (not past) the end of the line, or of the command when `semicolon`. */
  skipToEnd(semicolon: boolean): void {
    while (!this.done && this.peek() !== "\n" && !(semicolon && this.peek() === ";")) this.i += 1;
  }
  /** Skips past the next unescaped `delim`; false when the text ends first. */
  skipDelimited(delim: string): boolean {
    while (!this.done) {
      const c = this.next();
      if (c === "\\") this.i += 1;
      else if (c === delim) return true;
    }
    return false;
  }
}

/** sed's ISSPACE (C locale): what ends a label and what sits between commands. */
const SED_SPACE = /[ \t\n\v\f\r]/;
/** sed's ISBLANK: what may sit between an address, `!` and a command, or inside a command's arguments. */
const SED_BLANK = /[ \t]/;

/**
 * One address (GNU sed compile.c compile_address): `N`, `N~M`, `$`, `/re/` or `\cREc` with `I`/`M` flags,
 * and (second address only) `+N`, `~N`. Returns false for text sed would refuse.
 */
function sedAddress(c: Cursor): boolean {
  const first = c.peek();
  if (/[0-9]/.test(first)) {
    c.skip(/[0-9]/);
    if (c.peek() === "~") {
      c.next();
      c.skip(/[0-9]/);
    }
  } else if (first === "$") {
    c.next();
  } else if (first === "/" || first === "\\") {
    c.next();
    const delim = first === "/" ? "/" : c.next();
    if (delim === "" || delim === "\n" || delim === "\\") return false;
    if (!sedDelimited(c, delim)) return false;
    // Flags may follow after blanks (`/x/ I p`).
    for (;;) {
      const save = c.i;
      c.skip(SED_BLANK);
      if (c.peek() !== "I" && c.peek() !== "M") {
        c.i = save;
        break;
      }
      c.next();
    }
  } else if (first === "+" || first === "~") {
    c.next();
    c.skip(/[0-9]/);
  }
  return true;
}

/** Past the next unescaped `delim` on this line (compile.c match_slash: a raw newline is an error). */
function sedDelimited(c: Cursor, delim: string): boolean {
  while (!c.done) {
    const ch = c.next();
    if (ch === "\\") {
      if (c.done) return false;
      c.next();
    } else if (ch === delim) return true;
    else if (ch === "\n") return false;
  }
  return false;
}

/**
 * compile.c read_end_of_cmd: blanks, then `;`, a newline or the end (consumed), or `}`/`#` (left for the next
 * command). False when anything else follows: sed refuses "extra characters after command".
 */
function sedEndOfCommand(c: Cursor): boolean {
  c.skip(SED_BLANK);
  const ch = c.peek();
  if (ch === "}" || ch === "#") return true;
  if (c.done || ch === ";" || ch === "\n") {
    c.next();
    return true;
  }
  return false;
}

/**
 * compile.c read_label (for `:`, `b`, `t`, `T`, `v`): blanks, then the label up to whitespace, `;`, `}` or `#`;
 * what follows is a new command. False for a label byte sed's ctype might read otherwise (non-ASCII).
 */
function sedLabel(c: Cursor): boolean {
  c.skip(SED_BLANK);
  while (!c.done && !SED_SPACE.test(c.peek()) && !/[;}#]/.test(c.peek())) {
    // Security: a locale where a non-ASCII byte is a space would end the label there, and start a command.
    if (c.peek() > "\x7e") return false;
    c.next();
  }
  // Security: busybox sed ends a label only at whitespace or `;`: `ba}#x;w f` is a comment to GNU sed and
  // a `w` command to busybox. A `#` before that point is refused, whichever sed the pane runs.
  for (let j = c.i; j < c.s.length && !SED_SPACE.test(c.s.charAt(j)) && c.s.charAt(j) !== ";"; j += 1) {
    if (c.s.charAt(j) === "#") return false;
  }
  return true;
}

/** a/i/c text (compile.c read_text): to the first unescaped newline; a backslash escapes the next character. */
function sedText(c: Cursor): boolean {
  c.skip(SED_BLANK);
  if (c.done) return false;
  if (c.peek() === "\\") c.i += 2;
  while (!c.done) {
    const ch = c.next();
    if (ch === "\\") c.next();
    else if (ch === "\n") break;
  }
  return true;
}

/** The `s` command's flags (compile.c mark_subst_opts); blanks may sit between them. */
function sedSubstFlags(c: Cursor): ScriptProblem | "ok" | "bad" {
  for (;;) {
    if (c.done) return "ok";
    const flag = c.next();
    if (flag === "e") return problem("s///e", "runs the pattern space as a command", SED);
    if (flag === "w") return problem("s///w", "writes a file", SED);
    if (/[gpiImM0-9 \t]/.test(flag)) continue;
    if (flag === ";" || flag === "\n") return "ok";
    if (flag === "}" || flag === "#") {
      c.i -= 1;
      return "ok";
    }
    if (flag === "\r" && c.peek() === "\n") return "ok";
    return "bad";
  }
}

/**
 * GNU sed 4.9's grammar (compile.c compile_program, as `info sed` §3.8 describes it): commands separated by
 * `;` or newlines; labels end at whitespace, `;`, `}` or `#`, so `:a e id` is a label and then an `e`
 * command. Anything this reader cannot follow as sed would is refused (sed itself would refuse it, or it
 * parses differently than we think).
 */
function sedProblem(text: string): ScriptProblem | null {
  const c = new Cursor(text);
  const unreadable = problem("(unreadable script)", "cannot be checked", SED);
  for (;;) {
    while (!c.done && (c.peek() === ";" || SED_SPACE.test(c.peek()))) c.next();
    if (c.done) return null;
    if (!sedAddress(c)) return unreadable;
    c.skip(SED_BLANK);
    if (c.peek() === ",") {
      c.next();
      c.skip(SED_BLANK);
      if (!sedAddress(c)) return unreadable;
      c.skip(SED_BLANK);
    }
    if (c.peek() === "!") {
      c.next();
      c.skip(SED_BLANK);
    }
    const command = c.next();
    let ok = true;
    switch (command) {
      case "{":
        break;
      case "}":
      case "=":
      case "d":
      case "D":
      case "g":
      case "G":
      case "h":
      case "H":
      case "n":
      case "N":
      case "p":
      case "P":
      case "x":
      case "z":
      case "F":
        ok = sedEndOfCommand(c);
        break;
      case "l":
      case "L":
      case "q":
      case "Q":
        c.skip(SED_BLANK);
        c.skip(/[0-9]/);
        ok = sedEndOfCommand(c);
        break;
      case "#":
        c.skipToEnd(false);
        break;
      case ":":
      case "b":
      case "t":
      case "T":
      case "v":
        ok = sedLabel(c);
        break;
      case "a":
      case "i":
      case "c":
        ok = sedText(c);
        break;
      case "e":
        return problem("e", "runs a program", SED);
      case "r":
      case "R":
        return problem(command, "reads a file it names", SED);
      case "w":
      case "W":
        return problem(command, "writes a file", SED);
      case "y": {
        const delim = c.next();
        if (delim === "" || delim === "\\" || delim === "\n") return unreadable;
        ok = sedDelimited(c, delim) && sedDelimited(c, delim) && sedEndOfCommand(c);
        break;
      }
      case "s": {
        const delim = c.next();
        if (delim === "" || delim === "\\" || delim === "\n") return unreadable;
        if (!sedDelimited(c, delim) || !sedDelimited(c, delim)) return unreadable;
        const flags = sedSubstFlags(c);
        if (flags === "bad") return unreadable;
        if (flags !== "ok") return flags;
        break;
      }
      default:
        return problem(JSON.stringify(command), "is not a sed command ccmux can check", SED);
    }
    if (!ok) return unreadable;
  }
}

const AWK_KEYWORDS = new Set([
  "print",
  "printf",
  "return",
  "in",
  "if",
  "while",
  "for",
  "do",
  "else",
  "delete",
  "case",
]);

function awkProblem(text: string): ScriptProblem | null {
  const c = new Cursor(text);
  // True when the previous token ends an operand, so `/` divides instead of starting a regex.
  let afterOperand = false;
  let depth = 0;
  let printDepth = -1;
  while (!c.done) {
    const ch = c.next();
    if (ch === '"') {
      if (!c.skipDelimited('"')) return problem("(unterminated string)", "cannot be checked", AWK);
      afterOperand = true;
    } else if (ch === "#") {
      c.skipToEnd(false);
    } else if (ch === "/" && !afterOperand) {
      // A regex literal: `|` inside it is alternation; `/` inside a bracket expression does not end it.
      let inBracket = false;
      for (;;) {
        if (c.done) return problem("(unterminated regex)", "cannot be checked", AWK);
        const r = c.next();
        if (r === "\\") c.next();
        else if (r === "[") inBracket = true;
        else if (r === "]") inBracket = false;
        else if (r === "/" && !inBracket) break;
      }
      afterOperand = true;
    } else if (/[A-Za-z_]/.test(ch)) {
      let word = ch;
      while (/[A-Za-z0-9_]/.test(c.peek())) word += c.next();
      if (word === "system") {
        const save = c.i;
        c.skip(/[ \t]/);
        if (c.peek() === "(") return problem("system()", "runs a program", AWK);
        c.i = save;
      }
      if (word === "print" || word === "printf") printDepth = depth;
      afterOperand = !AWK_KEYWORDS.has(word);
    } else if ((ch === "+" || ch === "-") && c.peek() === ch) {
      // Security: `x++ / 1; print | "sh"; y = 2 / 1`: after a postfix ++ a slash divides; read as a regex it
      // would hide the pipe. Postfix keeps an operand; prefix (`++x`) does not.
      c.next();
    } else if (ch === "|") {
      if (c.peek() === "|") {
        c.next();
        afterOperand = false;
      } else {
        return problem("|", "runs a program (a pipe to or from a command)", AWK);
      }
    } else if (ch === ">") {
      if (printDepth >= 0 && depth === printDepth) return problem(">", "writes a file", AWK);
      afterOperand = false;
    } else if (ch === "@") {
      return problem("@", "loads code or calls a function by name (@load, @include, @f())", AWK);
    } else if (ch === "(" || ch === "[") {
      depth += 1;
      afterOperand = false;
    } else if (ch === ")" || ch === "]") {
      depth -= 1;
      afterOperand = true;
    } else if (ch === ";" || ch === "\n" || ch === "{" || ch === "}") {
      printDepth = -1;
      afterOperand = false;
    } else if (/[0-9.$]/.test(ch)) {
      afterOperand = ch !== "$";
    } else if (!/\s/.test(ch)) {
      afterOperand = false;
    }
  }
  return null;
}

/** The first command in `text` that runs a program, reads or writes a named file; null when none. */
export function scriptProblem(language: "sed" | "awk", text: string): ScriptProblem | null {
  return language === "sed" ? sedProblem(text) : awkProblem(text);
}
