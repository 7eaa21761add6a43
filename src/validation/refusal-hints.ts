/**
 * What to do instead, for the refusals an agent trained on shells meets most: each shell habit ccmux refuses
 * has a stable name (`data.syntax` of COMMAND_SYNTAX_FORBIDDEN) and one line of advice. One home for this
 * advice: command-line.ts and spawn-check.ts word their refusals with it.
 */
export type ShellSyntax =
  /** `a | b` */
  | "pipe"
  /** `a && b`, `a || b` */
  | "and-or"
  /** `a; b` */
  | "sequence"
  /** `cd dir && a`, `cd dir; a` */
  | "cd"
  /** `a &` */
  | "background"
  /** `> f`, `>> f`, `2>&1`, `&> f`, `< f` */
  | "redirection"
  /** `( … )` */
  | "subshell"
  /** `$PATH`, `${HOME}`, `$'…'` */
  | "variable"
  /** `$(…)`, backticks */
  | "substitution"
  /** `*.ts`, `?`, `[ab]` unquoted */
  | "glob"
  /** `{a,b}` unquoted */
  | "brace"
  /** `!!`, `!$`, `!cmd` unquoted or in double quotes */
  | "history"
  /** `# …` */
  | "comment"
  /** an unterminated quote or a trailing backslash */
  | "quote"
  /** a newline or carriage return: a second command */
  | "newline"
  /** other control, format or invisible characters */
  | "invisible"
  /** quoting two word-splitters read differently */
  | "quoting"
  /** nothing to run */
  | "empty"
  /** `NODE_ENV=test node …` */
  | "assignment";

const RUN_ALONE =
  "spawn each command on its own, one after the other; wait_for with exit: true returns when one ends, with its exitCode";

/** One line of advice per refused shell habit. */
export const SYNTAX_HINTS: Readonly<Record<ShellSyntax, string>> = {
  pipe: 'run the program alone and read its output with read_pane (mode "scrollback" for all of it) or find a line with wait_for (text or regex)',
  "and-or": RUN_ALONE,
  sequence: RUN_ALONE,
  cd: "give the directory as spawn's cwd argument instead of cd, and spawn the command itself",
  background: "every pane already runs in the background: spawn the program and go on with other calls",
  redirection:
    "output is captured already (stdout and stderr both reach the pane): read it with read_pane; give input files as arguments, or type input with send_keys",
  subshell: "spawn the command on its own (with spawn's cwd argument for a directory)",
  variable:
    "variables are not expanded: write the value itself; to set a variable for the program, use spawn's env argument",
  substitution:
    "run the inner command in a pane of its own, read its output, and write the value into the command line",
  glob: "globs are not expanded: name the files, or quote the pattern ('*.ts') for a program that matches patterns itself",
  brace: "write each word out, or quote the braces",
  history: "history is not expanded: write the command out; quote a `!` a program should get ('!')",
  comment: "leave the comment out",
  quote: "close every quote, and do not end the line with a backslash",
  newline: "send one command per spawn call; to type several lines into a shell or REPL pane, use send_keys",
  invisible: "remove the control or invisible character",
  quoting: "quote more simply, e.g. one kind of quote per word",
  empty: "name a program to run",
  assignment:
    'pass variables in spawn\'s env argument, e.g. env: {"NODE_ENV": "test"}, or ask the person to fix a value for every pane with env.set in the policy',
};

/** `NAME=value`: what a shell would read as an assignment in front of the program. */
export const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Advice for a program word that is a shell builtin or prefix, not a program: `cd`, `export`, `sudo`, … */
export function builtinHint(word: string): string | undefined {
  if (word === "cd" || word === "pushd") return SYNTAX_HINTS.cd;
  if (["export", "set", "unset", "env", "declare", "typeset"].includes(word)) {
    return "to set variables for a program, use spawn's env argument";
  }
  if (word === "source" || word === ".") return "ccmux runs no shell, so nothing can be sourced into one";
  if (word === "sudo" || word === "doas" || word === "su") return "ccmux never raises privileges";
  return undefined;
}

/** Most program names a COMMAND_NOT_ALLOWED message lists; past it, the policy tool lists them all. */
const MAX_LISTED_PROGRAMS = 24;

/** `allowed programs: a, b, c` (names only, deduplicated), pointing at the policy tool for their shapes. */
export function allowedProgramsHint(programs: readonly string[]): string {
  const names = [...new Set(programs)];
  if (names.length === 0) return "this policy allows no programs";
  const listed = names.slice(0, MAX_LISTED_PROGRAMS).join(", ");
  const more = names.length > MAX_LISTED_PROGRAMS ? `, and ${names.length - MAX_LISTED_PROGRAMS} more` : "";
  return `allowed programs: ${listed}${more} (the policy tool lists their argument shapes)`;
}
