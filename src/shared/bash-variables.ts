/**
 * Variables bash itself acts on (bash(1), INVOCATION and Shell Variables): a validated shell (src/panes/shell)
 * takes none of them from its environment, and the agent may not `export` or `unset` them in it.
 * - Read at start, or changing what the shell's script means: BASH_ENV, ENV, SHELLOPTS, BASHOPTS, BASH_FUNC_*
 *   (imported functions), IFS, CDPATH, GLOBIGNORE, EXECIGNORE, POSIXLY_CORRECT, BASH_COMPAT, PS4, PROMPT_COMMAND,
 *   INPUTRC.
 * - Acting on the shell while it runs: BASH_XTRACEFD (unsetting it closes that descriptor: an attack review
 *   closed the shell's stdout and hung it), TMOUT (a read timeout), FUNCNEST, BASH_LOADABLES_PATH, BASH_ARGV0,
 *   PWD and OLDPWD (the directory), HISTFILE and the other HIST* variables.
 * Every name starting with BASH is included: bash adds more of them from version to version.
 */
export function isBashVariable(name: string): boolean {
  return name.startsWith("BASH") || name.startsWith("HIST") || BASH_VARIABLES.has(name);
}

const BASH_VARIABLES: ReadonlySet<string> = new Set([
  "ENV",
  "SHELLOPTS",
  "IFS",
  "CDPATH",
  "GLOBIGNORE",
  "EXECIGNORE",
  "TMOUT",
  "POSIXLY_CORRECT",
  "PS0",
  "PS1",
  "PS2",
  "PS3",
  "PS4",
  "PROMPT_COMMAND",
  "PROMPT_DIRTRIM",
  "INPUTRC",
  "FUNCNEST",
  "PWD",
  "OLDPWD",
  "OPTIND",
  "OPTERR",
  "FIGNORE",
  "TIMEFORMAT",
  "MAILPATH",
  "MAILCHECK",
  "MAIL",
]);
