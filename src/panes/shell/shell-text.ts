import type { ShellStep } from "../../shared/shell-step.js";
import { sanitizeText } from "../sanitize.js";

/** The descriptors a validated shell is started with (their numbers are the same in ccmux and in the shell). */
export interface ShellFds {
  /** The read end of the command stream: the shell runs it as its script (`/dev/fd/N`), commands arrive on it. */
  script: number;
  /** The write end of the report channel: `ready`, `start` and `done` records go back to ccmux on it. */
  back: number;
}

/** What a validated shell's start-up text needs: the marks' secret, its descriptors, its native builtins' path. */
export interface StartupOptions {
  /** Lowercase hex: tags the OSC 133 marks around each command's output. */
  secret: string;
  fds: ShellFds;
  /** bash: the loadable builtins file (native/shell-builtins.c); zsh: the directory holding ccmux_shell.so. */
  builtins: string;
}

/**
 * Throws unless `secret` is uppercase hex (it is written into the shell's script unquoted). Uppercase: the marks
 * pass through the terminal's output processing, and OLCUC, which a process left behind may set, uppercases
 * lowercase letters (an attack review lost every later mark that way); nothing changes uppercase ones.
 */
export function checkSecret(secret: string): void {
  if (!/^[0-9A-F]{16,64}$/.test(secret)) throw new Error("the secret must be uppercase hex");
}

/** Throws unless `nonce` is uppercase hex (see checkSecret). */
export function checkNonce(nonce: string): void {
  if (!/^[0-9A-F]{8,64}$/.test(nonce)) throw new Error("the nonce must be uppercase hex");
}

/**
 * The command line as the agent wrote it, as one quoted word to show after the `$ ` prompt: sanitized (one line,
 * no controls) and cut at MAX_SHOWN characters (the audit log has it whole).
 */
export function shownWord(display: string): string {
  const line = sanitizeText(display).replace(/\n/g, " ");
  return singleQuote(line.length > MAX_SHOWN ? `${line.slice(0, MAX_SHOWN)}…` : line);
}

const MAX_SHOWN = 2000;

/**
 * The text of one step, the same in bash and zsh: every word single-quoted and the program its absolute path,
 * so the shell runs exactly the argv that was checked.
 */
export function stepText(step: ShellStep): string {
  switch (step.kind) {
    case "exec":
      return step.argv.map(singleQuote).join(" ");
    case "cd":
      return `builtin cd -P -- ${singleQuote(step.dir)}`;
    case "pwd":
      // The directory the shell is in (getcwd), not the path in $PWD, which may name a symlink put in its place.
      return "ccmux_cwd; builtin echo";
    case "export":
      return `builtin export ${variableName(step.name)}=${singleQuote(step.value)}`;
    case "unset":
      return `builtin unset -v ${variableName(step.name)}`;
  }
}

/**
 * `word` as one shell word with no expansion at all, in bash and in zsh: single quotes, each `'` written as
 * `'\''`. Throws on NUL (no argv can hold it; validation refuses it first).
 */
export function singleQuote(word: string): string {
  if (word.includes("\0")) throw new Error("singleQuote: NUL cannot be passed in an argument");
  return `'${word.replaceAll("'", "'\\''")}'`;
}

function variableName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a variable name: ${JSON.stringify(name)}`);
  return name;
}

/** The mark the shell prints before a command's output (OSC 133 C) and after it (OSC 133 D), as bytes. */
export function shellMark(kind: "C" | "D", secret: string, nonce: string): Buffer {
  return Buffer.from(`\u001b]133;${kind};${secret};${nonce}\u0007`, "latin1");
}
