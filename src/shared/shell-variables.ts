/** The shells a validated shell (policy `input: "validated"`, src/panes/shell) can be. */
export const SHELL_DIALECTS = ["bash", "zsh"] as const;
export type ShellDialect = (typeof SHELL_DIALECTS)[number];

/**
 * The dialect of a program known by these basenames (its rule's command, the executable, its realpath), or
 * undefined when it is neither bash nor zsh. A name that is both (a zsh installed as `bash`) is refused too.
 */
export function shellDialectOf(names: readonly string[]): ShellDialect | undefined {
  const found = SHELL_DIALECTS.filter((dialect) => names.includes(dialect));
  return found.length === 1 ? found[0] : undefined;
}

/**
 * Variables the shell itself acts on: a validated shell takes none of them from its environment, and the agent
 * may not `export` or `unset` them in it (even when env.fromAgent lists them).
 */
export function isShellVariable(dialect: ShellDialect, name: string): boolean {
  return dialect === "bash" ? isBashVariable(name) : isZshVariable(name);
}

/**
 * bash(1), INVOCATION and Shell Variables:
 * - Read at start, or changing what the shell's script means: BASH_ENV, ENV, SHELLOPTS, BASHOPTS, BASH_FUNC_*
 *   (imported functions), IFS, CDPATH, GLOBIGNORE, EXECIGNORE, POSIXLY_CORRECT, BASH_COMPAT, PS4, PROMPT_COMMAND,
 *   INPUTRC.
 * - Acting on the shell while it runs: BASH_XTRACEFD (unsetting it closes that descriptor: an attack review
 *   closed the shell's stdout and hung it), TMOUT (a read timeout), FUNCNEST, BASH_LOADABLES_PATH, BASH_ARGV0,
 *   PWD and OLDPWD (the directory), HISTFILE and the other HIST* variables.
 * Every name starting with BASH is included: bash adds more of them from version to version.
 */
function isBashVariable(name: string): boolean {
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
  // Makes a one-word command resume a stopped job of that name instead of starting the program.
  "auto_resume",
]);

/**
 * zsh(1) zshparam, Parameters Set By The Shell and Parameters Used By The Shell, and its special parameters
 * (`${(k)parameters[(R)*special*]}` in zsh 5.9):
 * - Changing who the shell is or what it does: UID, EUID, GID, EGID and USERNAME (assigning them calls
 *   setuid/setgid), ARGV0 (exported, the argv[0] of every program it runs), LINES and COLUMNS (the shell resizes the terminal), STTY (runs stty), NULLCMD, READNULLCMD,
 *   TMPPREFIX, IFS, CDPATH/cdpath, FPATH/fpath, MODULE_PATH/module_path, FIGNORE, WORDCHARS, KEYTIMEOUT, TMOUT,
 *   FUNCNEST, PWD and OLDPWD, the prompts (PS*, RPS*, PROMPT*, SPROMPT), HIST*, SAVEHIST, ZDOTDIR, ENV, MAIL*,
 *   TERMINFO and TERMINFO_DIRS (a terminal description the shell parses).
 * - Every name starting with ZSH or ZLE, and the lowercase arrays tied to them (path, cdpath, fpath, module_path,
 *   mailpath, manpath, psvar, watch, fignore, histchars, …).
 * PATH, HOME, LANG, LC_* and TERM stay the person's to pass: the programs need them, and the shell's script does
 * not depend on them (every word is quoted, the programs are absolute paths).
 */
function isZshVariable(name: string): boolean {
  if (/^(ZSH|ZLE|HIST|PS[0-9]|RPS|R?PROMPT|MAIL|TRY_BLOCK_)/.test(name)) return true;
  return (
    ZSH_VARIABLES.has(name) || ZSH_LOWERCASE.has(name) || name.startsWith("dis_") || name.startsWith("zsh_")
  );
}

const ZSH_VARIABLES: ReadonlySet<string> = new Set([
  "ARGC",
  // Exported, it is the argv[0] zsh gives every program it runs: a multi-call binary allowed under a reading name
  // (xzcat, bzcat) would run as its writing one (an attack review).
  "ARGV0",
  "BAUD",
  "CDPATH",
  "COLUMNS",
  "CORRECT_IGNORE",
  "CORRECT_IGNORE_FILE",
  "DIRSTACKSIZE",
  "EGID",
  "ENV",
  "EUID",
  "FCEDIT",
  "FIGNORE",
  "FPATH",
  "FUNCNEST",
  "GID",
  "IFS",
  "KEYBOARD_HACK",
  "KEYTIMEOUT",
  "LINES",
  "LISTMAX",
  "LOGCHECK",
  "MANPATH",
  "MODULE_PATH",
  "NULLCMD",
  "OLDPWD",
  "OPTARG",
  "OPTIND",
  "PERIOD",
  "POSTEDIT",
  "PSVAR",
  "PWD",
  "RANDOM",
  "READNULLCMD",
  "REPORTMEMORY",
  "REPORTTIME",
  "REPLY",
  "SAVEHIST",
  "SECONDS",
  "SHLVL",
  "SPROMPT",
  "STTY",
  "TIMEFMT",
  "TMOUT",
  "TMPPREFIX",
  "TMPSUFFIX",
  // Reassigning them makes zsh load another terminal description (ncurses parses it in the shell itself).
  "TERMINFO",
  "TERMINFO_DIRS",
  "TTYIDLE",
  "UID",
  "USERNAME",
  "WATCH",
  "WATCHFMT",
  "WORDCHARS",
  "ZBEEP",
  "ZDOTDIR",
]);

/** zsh's lowercase special parameters: the arrays tied to the variables above, and those zsh/parameter adds. */
const ZSH_LOWERCASE: ReadonlySet<string> = new Set([
  "aliases",
  "argv",
  "builtins",
  "cdpath",
  "commands",
  "dirstack",
  "fignore",
  "fpath",
  "funcfiletrace",
  "funcsourcetrace",
  "funcstack",
  "functions",
  "functions_source",
  "functrace",
  "galiases",
  "histchars",
  "history",
  "historywords",
  "jobdirs",
  "jobstates",
  "jobtexts",
  "keymaps",
  "mailpath",
  "manpath",
  "module_path",
  "modules",
  "nameddirs",
  "options",
  "parameters",
  "patchars",
  "path",
  "pipestatus",
  "prompt",
  "psvar",
  "reply",
  "reswords",
  "saliases",
  "signals",
  "status",
  "termcap",
  "terminfo",
  "userdirs",
  "usergroups",
  "watch",
  "widgets",
]);
