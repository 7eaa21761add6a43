import fs from "node:fs";
import path from "node:path";
import { CcmuxError } from "../errors.js";
import { isInside } from "./canonical-path.js";

export interface ResolveProgramOptions {
  /** The server's own PATH, never one the agent supplied. */
  serverPath: string | undefined;
  /** Canonical workspace roots. */
  roots: readonly string[];
}

export interface ResolvedProgram {
  /** Absolute path that gets exec'd (may be a symlink: multi-call binaries read argv[0]). */
  path: string;
  /** Its canonical path. */
  realpath: string;
}

function notAllowed(message: string, program: string): CcmuxError {
  return new CcmuxError("COMMAND_NOT_ALLOWED", message, { data: { program } });
}

/** The realpath of a regular executable file, or undefined. */
function executableRealpath(candidate: string): string | undefined {
  try {
    if (!fs.statSync(candidate).isFile()) return undefined;
    fs.accessSync(candidate, fs.constants.X_OK);
    return fs.realpathSync.native(candidate);
  } catch {
    return undefined;
  }
}

function insideWorkspace(p: string, roots: readonly string[]): boolean {
  return roots.some((root) => isInside(p, root));
}

function lookUp(name: string, opts: ResolveProgramOptions): ResolvedProgram | undefined {
  for (const dir of (opts.serverPath ?? "").split(":")) {
    // Security: an empty or relative PATH entry means the current directory, which the agent controls.
    if (dir === "" || !path.isAbsolute(dir)) continue;
    let realDir: string;
    try {
      realDir = fs.realpathSync.native(dir);
    } catch {
      continue;
    }
    // Security: a repo-controlled dir on PATH (node_modules/.bin) would let a malicious repo shadow `git`.
    if (insideWorkspace(realDir, opts.roots)) continue;
    const candidate = dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
    const real = executableRealpath(candidate);
    // Security: a PATH symlink into the workspace lets the repo replace the program's contents.
    if (real === undefined || insideWorkspace(real, opts.roots)) continue;
    return { path: candidate, realpath: real };
  }
  return undefined;
}

/**
 * Resolves the program word of a command line. A bare name is looked up on the server's PATH (skipping
 * empty, relative and in-workspace entries); an absolute path is taken as given and must be in normal form.
 * It must be a regular executable file. A relative path (`./x`, `bin/x`) is refused. Throws
 * COMMAND_NOT_ALLOWED.
 */
export function resolveProgram(word: string, opts: ResolveProgramOptions): ResolvedProgram {
  if (word === "" || word === "." || word === ".." || word.includes("\0")) {
    throw notAllowed("the program name is not a program", word);
  }
  if (!word.includes("/")) {
    const found = lookUp(word, opts);
    if (found === undefined) throw notAllowed(`"${word}" was not found on the server's PATH`, word);
    return found;
  }
  // Security: `./x` and `bin/x` name a file the agent can write in the workspace.
  if (!path.isAbsolute(word)) throw notAllowed("a program may not be named by a relative path", word);
  if (path.posix.normalize(word) !== word || word.endsWith("/")) {
    throw notAllowed("the program path is not in normal form (no `.`, `..`, `//` or trailing `/`)", word);
  }
  const real = executableRealpath(word);
  if (real === undefined) throw notAllowed("the program path is not an executable file", word);
  return { path: word, realpath: real };
}

/**
 * Version managers whose shims pick the real interpreter from files in the working directory
 * (`.python-version`, `.tool-versions`, `.nvmrc`, `mise.toml`, `.node-version`, `.ruby-version`,
 * package.json "volta"), which an agent can write. Sources: pyenv README "Understanding Shims" and
 * "Choosing the Python version"; asdf docs "Configuration: .tool-versions"; mise docs "Shims" and
 * "Configuration"; nodenv README "Choosing the Node Version"; rbenv README "How It Works"; Volta docs
 * "Understanding Volta: project pinning"; goenv/jenv/plenv/phpenv follow rbenv.
 */
const SHIM_DIRS: ReadonlyArray<readonly [string, RegExp]> = [
  ["pyenv", /\/\.pyenv\/shims\//],
  ["asdf", /\/\.asdf\/shims\//],
  ["mise", /\/mise\/shims\/|\/\.rtx\/shims\//],
  ["nodenv", /\/\.nodenv\/shims\//],
  ["rbenv", /\/\.rbenv\/shims\//],
  ["volta", /\/\.volta\/bin\/|\/volta-shim$/],
  ["goenv", /\/\.goenv\/shims\//],
  ["jenv", /\/\.jenv\/shims\//],
  ["plenv", /\/\.plenv\/shims\//],
  ["phpenv", /\/\.phpenv\/shims\//],
  ["proto", /\/\.proto\/shims\//],
];
/** What a shim script runs: `pyenv exec`, `asdf exec`, `mise x`, … (the shims these tools generate). */
const SHIM_SCRIPT =
  /\b(pyenv|asdf|nodenv|rbenv|goenv|jenv|plenv|phpenv)\b[^\n]*\bexec\b|\b(mise|rtx)\b[^\n]*\b(x|exec)\b/;
/** Bytes of a candidate read to recognise a shim script (generated shims are a few hundred bytes). */
const SHIM_SNIFF_BYTES = 4096;

function sniff(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, "r");
    const buffer = Buffer.alloc(SHIM_SNIFF_BYTES);
    const n = fs.readSync(fd, buffer, 0, SHIM_SNIFF_BYTES, 0);
    return buffer.subarray(0, n).toString("latin1");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * The version manager whose shim this program is (`pyenv`, `asdf`, `mise`, …), or undefined. Recognised by
 * the shim directory in its path or realpath, or by a `#!` script that runs `<manager> exec`.
 */
export function versionManagerShim(program: ResolvedProgram): string | undefined {
  for (const [manager, dir] of SHIM_DIRS) {
    if (dir.test(program.path) || dir.test(program.realpath)) return manager;
  }
  const head = sniff(program.realpath);
  if (!head.startsWith("#!")) return undefined;
  const found = SHIM_SCRIPT.exec(head);
  return found ? (found[1] ?? found[2]) : undefined;
}
