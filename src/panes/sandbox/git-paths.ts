import { constants, type Dirent } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { bornMs, denied } from "./path-glob.js";
import { access, lstatOrNull, openDirOfDirectories, planIncomplete, readText } from "./plan-reads.js";
import { quoteName } from "./quote-name.js";

/**
 * How deep below a workspace root repositories are looked for (`~/code/group/team/project/.git` is depth 4).
 * Security: git runs hooks from any repository's `.git`, whatever its parent is called; the depth only bounds
 * the search cost, together with MAX_SEARCHED_DIRECTORIES.
 */
export const NESTED_REPO_DEPTH = 6;
/**
 * At most this many directories are listed per workspace root per spawn, shallowest first (about 30 ms for a
 * cold 5 000 on the 2-core CI machine). Past it the search stops with a warning.
 */
export const MAX_SEARCHED_DIRECTORIES = 5000;
/** At most this many entries are read per workspace root per spawn (a pane can fill one directory with millions). */
export const MAX_SEARCHED_ENTRIES = 200_000;
/**
 * Nested repositories whose config is read (hooksPath, gitdir): no more can be protected within the mount
 * budget, and reading 2 000 configs would cost every spawn a fifth of a second.
 */
const MAX_REPOS_READ = 300;

/** A repository found under a root, relative to it: `.git` is a directory, a gitdir file, or a symlink. */
export interface FoundRepo {
  /** The repository's top directory relative to the root (never the root itself). */
  dir: string;
  /** Depth of `dir` below the root (1 = a child of the root). */
  depth: number;
  /**
   * When its `.git` (or other control directory) was made (ms, bornMs): the person's repositories are older than
   * a flood a pane makes, and a chmod cannot make one younger.
   */
  bornMs: number;
  /** A bare repository: `dir` itself is the git directory (HEAD, objects/, refs/), so all of it is protected. */
  bare?: boolean;
  /** False for a repository of another kind only (no `.git`): see `others`. */
  git?: false;
  /** The other version-control directories it holds (OTHER_CONTROL_DIRS: Mercurial's, Jujutsu's, …). */
  others?: string[];
}

/**
 * A directory below a root that the server could not list (no read or search permission for its uid): what it
 * holds is unknown, so all of it is made read-only (see nestedRepos).
 */
export interface UnreadableDir {
  /** Relative to the root. */
  dir: string;
  /** When it was made (ms; its ctime where the file system keeps no birth time): a pane can change a ctime. */
  bornMs: number;
}

/**
 * Version-control directories other than git's that run code from a repository: Mercurial's `.hg/hgrc`
 * ([hooks], [extensions]), Jujutsu's `.jj/repo/config.toml`, Sapling's `.sl/config`, Darcs's `_darcs/prefs/defaults`
 * (prehook and posthook commands), Pijul's `.pijul/config` ([hooks]). Found like `.git`, at every depth (the roots'
 * own are the readOnly patterns', validation/sandbox-paths.ts).
 */
export const OTHER_CONTROL_DIRS: readonly string[] = [".hg", ".jj", ".sl", "_darcs", ".pijul"];

/** What git adds to the read-only list under one root, and what could not be searched. */
export interface GitProtections {
  /** Nested repositories (not the root's own), shallowest first. */
  repos: FoundRepo[];
  /** Directories the search could not list, oldest first. */
  unreadable: UnreadableDir[];
  /** Absolute directories `core.hooksPath` names for the root's repositories (may lie in another root). */
  hookDirs: string[];
  /** Where `.git` files point (`gitdir: …`), absolute: a planted pointer redirects git to planted hooks. */
  gitdirTargets: string[];
  /** Pane-safe sentences: what was not searched and why. */
  warnings: string[];
}

/**
 * What git adds to the read-only list under `root`: every `.git` below the root up to NESTED_REPO_DEPTH (a
 * workspace such as `~/code` holds many repositories, each with hooks and config), the directories
 * `core.hooksPath` names, and where `.git` files point. Security: git runs code from all of these at the
 * person's next git command, outside the sandbox. Every directory is searched — `build/`, `node_modules/pkg/`
 * and dot-directories too — since a name says nothing about whether a repository lies inside. `.git`
 * directories themselves are not entered (the whole `.git` is protected already), nor symlinked directories.
 */
export function gitProtections(
  root: string,
  home: string,
  userHooksPaths: readonly string[],
): GitProtections {
  const warnings: string[] = [];
  const unreadable: UnreadableDir[] = [];
  const repos = nestedRepos(root, warnings, unreadable);
  const gitdirTargets: string[] = [];
  const hookDirs: string[] = [];
  for (const repo of [root, ...repos.slice(0, MAX_REPOS_READ).map((found) => join(root, found.dir))]) {
    const dotGit = join(repo, ".git");
    const target = gitdirOf(dotGit);
    if (target !== undefined) gitdirTargets.push(target);
    const configDir = target ?? dotGit;
    for (const value of [...hooksPathValues(join(configDir, "config"), home), ...userHooksPaths])
      hookDirs.push(isAbsolute(value) ? resolve(value) : resolve(repo, value));
  }
  return {
    repos,
    unreadable,
    hookDirs: [...new Set(hookDirs)],
    gitdirTargets: [...new Set(gitdirTargets)],
    warnings,
  };
}

/**
 * The `core.hooksPath` values every repository inherits: the user's (~/.gitconfig, ~/.config/git/config) and
 * the system's (/etc/gitconfig). Read once per spawn, not once per repository.
 */
export function userHooksPaths(home: string): string[] {
  return [join(home, ".gitconfig"), join(home, ".config", "git", "config"), "/etc/gitconfig"].flatMap(
    (file) => hooksPathValues(file, home),
  );
}

/**
 * Directories below `root` (not the root itself) that hold a `.git` of any kind, or another version-control
 * directory (OTHER_CONTROL_DIRS), breadth first, so that a
 * search cut short by MAX_SEARCHED_DIRECTORIES keeps the shallow repositories; at each depth the oldest first,
 * so that a budget cut drops a pane's fresh flood before the person's repositories.
 *
 * Security: a directory the server cannot list is added to `unreadable`, oldest first, and not searched. Under a
 * server of the panes' own uid, an attack review's pane ran `chmod 000` on a directory holding repositories: the
 * next pane's plan, blind to them, left their `.git` and `.hg` writable, and that pane ran `chmod 755` and planted
 * a hook. Such a directory is now read-only whole, so the next pane can neither change its mode nor write inside.
 */
function nestedRepos(root: string, warnings: string[], unreadable: UnreadableDir[]): FoundRepo[] {
  const found: FoundRepo[] = [];
  // The root itself (an attack review's pane ran `chmod 100 .`, and the plan saw nothing below it).
  if (!mayListAndSearch(root)) {
    unreadable.push({ dir: "", bornMs: bornMs(root) });
    return found;
  }
  /** Directories holding other control directories (OTHER_CONTROL_DIRS), by relative path. */
  const others = new Map<string, string[]>();
  let level: string[] = [""];
  let listed = 0;
  let entries = 0;
  let unnamed = 0;
  for (let depth = 1; depth <= NESTED_REPO_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const rel of level) {
      if (listed >= MAX_SEARCHED_DIRECTORIES || entries >= MAX_SEARCHED_ENTRIES) {
        planIncomplete();
        warnings.push(
          `the search for nested repositories under ${quoteName(root)} stopped after ${listed} directories and ${entries} entries; repositories past that point are not read-only`,
        );
        return found;
      }
      listed++;
      const list = listBytes(join(root, rel), MAX_SEARCHED_ENTRIES - entries);
      if (list === "unreadable") {
        unreadable.push({ dir: rel, bornMs: bornMs(join(root, rel)) });
        continue;
      }
      entries += list.length;
      for (const entry of list) {
        if (!entry.isDirectory()) continue;
        const name = nameOf(entry.name as unknown as Buffer);
        if (name === undefined) {
          unnamed++;
          continue;
        }
        if (name === ".git") continue;
        if (OTHER_CONTROL_DIRS.includes(name)) {
          // The root's own are the readOnly patterns'.
          if (rel !== "") others.set(rel, [...(others.get(rel) ?? []), name]);
          continue;
        }
        const child = rel === "" ? name : join(rel, name);
        // A directory this uid may list but not search (`chmod 400`), or search but not list (`chmod 100`),
        // hides what it holds as well as one closed whole: checked before anything inside is looked up.
        if (!mayListAndSearch(join(root, child))) {
          unreadable.push({ dir: child, bornMs: bornMs(join(root, child)) });
          continue;
        }
        // Security: a bare repository is found by git in the directory itself (`cd it; git status` reads its
        // config and runs its hooks), whatever it is called: protect it whole, and do not search inside.
        const head = bareHead(join(root, child));
        if (head !== null) {
          found.push({ dir: child, depth, bornMs: bornMs(join(root, child, "HEAD")), bare: true });
          continue;
        }
        const dotGit = lstatOrNull(join(root, child, ".git"));
        if (dotGit !== null) found.push({ dir: child, depth, bornMs: bornMs(join(root, child, ".git")) });
        next.push(child);
      }
    }
    level = next;
  }
  // The deepest directories are not listed: their other control directories are looked up one by one.
  for (const rel of level) {
    const names = OTHER_CONTROL_DIRS.filter((name) => lstatOrNull(join(root, rel, name))?.isDirectory());
    if (names.length > 0) others.set(rel, names);
  }
  for (const [rel, names] of others) {
    const repo = found.find((each) => each.dir === rel);
    if (repo) repo.others = names;
    else {
      const born = bornMs(join(root, rel, names[0] as string));
      found.push({ dir: rel, depth: rel.split(sep).length, bornMs: born, git: false, others: names });
    }
  }
  found.sort((a, b) => a.bornMs - b.bornMs);
  unreadable.sort((a, b) => a.bornMs - b.bornMs);
  if (unnamed > 0) {
    warnings.push(
      `${unnamed} director${unnamed === 1 ? "y" : "ies"} under ${quoteName(root)} with names that are not valid UTF-8 cannot be named to the sandbox; repositories inside are not read-only`,
    );
  }
  return found;
}

/** The HEAD of `dir` when it has the shape git takes for a git directory (HEAD file, objects/ and refs/). */
function bareHead(dir: string): ReturnType<typeof lstatOrNull> {
  const head = lstatOrNull(join(dir, "HEAD"));
  if (!head?.isFile()) return null;
  if (!lstatOrNull(join(dir, "objects"))?.isDirectory() || !lstatOrNull(join(dir, "refs"))?.isDirectory())
    return null;
  return head;
}

/**
 * Up to `max` entries of `dir`, names as bytes; none when it is gone or not a directory; "unreadable" when this
 * uid may not list it (EACCES, EPERM).
 */
function listBytes(dir: string, max: number): Dirent[] | "unreadable" {
  let handle: ReturnType<typeof openDirOfDirectories>;
  try {
    handle = openDirOfDirectories(dir);
  } catch (error) {
    return denied(error) ? "unreadable" : [];
  }
  const out: Dirent[] = [];
  try {
    for (let entry = handle.readSync(); entry !== null && out.length < max; entry = handle.readSync())
      out.push(entry);
  } catch {
    // gone meanwhile: what was read is kept
  } finally {
    handle.closeSync();
  }
  // Entries past `max` were not read: what they are is unknown to a watch on the listing.
  if (out.length >= max) planIncomplete();
  return out;
}

/** Whether this uid may list `dir` and look up names in it (read and search permission); true when it is gone. */
function mayListAndSearch(dir: string): boolean {
  try {
    access(dir, constants.R_OK | constants.X_OK);
    return true;
  } catch (error) {
    return !denied(error);
  }
}

/** A file name as a string, or undefined when its bytes are not UTF-8 (Node could not pass it to bwrap). */
function nameOf(bytes: Buffer): string | undefined {
  const name = bytes.toString("utf8");
  return Buffer.from(name, "utf8").equals(bytes) ? name : undefined;
}

/** Where a `.git` file (`gitdir: <path>`, a worktree or submodule pointer) sends git; undefined for others. */
function gitdirOf(dotGit: string): string | undefined {
  if (!lstatOrNull(dotGit)?.isFile()) return undefined;
  let text: string;
  try {
    text = readText(dotGit).slice(0, 4096);
  } catch {
    return undefined;
  }
  const match = /^gitdir:\s*(.+?)\s*$/m.exec(text);
  if (!match?.[1]) return undefined;
  const target = match[1];
  return isAbsolute(target) ? resolve(target) : resolve(dirname(dotGit), target);
}

/**
 * The `hookspath = …` values of one git config file (`~/` expanded; relative ones are relative to the
 * repository). A plain reading with comments stripped; `include`d files are not followed.
 */
function hooksPathValues(file: string, home: string): string[] {
  let text: string;
  try {
    text = readText(file);
  } catch {
    return [];
  }
  const values: string[] = [];
  for (const match of text.matchAll(/^\s*hookspath\s*=\s*(.*)$/gim)) {
    const value = stripComment(match[1] ?? "");
    if (value !== "") values.push(value.startsWith("~/") ? join(home, value.slice(2)) : value);
  }
  return values;
}

/** A git config value without its trailing `;`/`#` comment, quotes removed. */
function stripComment(raw: string): string {
  let out = "";
  let quoted = false;
  for (const char of raw) {
    if (char === '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted && (char === ";" || char === "#")) break;
    out += char;
  }
  return out.trim();
}
