import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

/** How deep below a workspace root other repositories are looked for (`~/code/project/.git` is depth 2). */
const NESTED_REPO_DEPTH = 2;
/** Directories never searched for repositories: big, and not where people keep checkouts. */
const SKIP = new Set(["node_modules", "vendor", "target", "dist", "build"]);

/**
 * What git adds to the read-only list under `root`: every existing `.git` below the root up to
 * NESTED_REPO_DEPTH (a workspace such as `~/code` holds many repositories, each with hooks and config), as
 * patterns relative to the root, and the directories `core.hooksPath` names for the root's repositories, as
 * absolute paths (they may lie in another workspace root). Security: git runs code from all of these at the
 * person's next git command, outside the sandbox.
 */
export function gitProtections(
  root: string,
  home: string,
  userHooksPaths: readonly string[],
): { repos: string[]; hookDirs: string[] } {
  const repos = nestedRepos(root, "", 0);
  const hookDirs = [root, ...repos.map((rel) => join(root, rel))].flatMap((repo) =>
    [...hooksPathValues(join(repo, ".git", "config"), home), ...userHooksPaths].map((value) =>
      isAbsolute(value) ? resolve(value) : resolve(repo, value),
    ),
  );
  return { repos: repos.map((rel) => `${join(rel, ".git")}/`), hookDirs };
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

/** Relative paths of directories below `root` (not the root itself) that hold a `.git`. */
function nestedRepos(root: string, rel: string, level: number): string[] {
  if (level >= NESTED_REPO_DEPTH) return [];
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith(".") || SKIP.has(entry.name)) continue;
    const child = rel === "" ? entry.name : join(rel, entry.name);
    try {
      readdirSync(join(root, child, ".git"));
      found.push(child);
    } catch {
      // no repository here (or a .git file: a worktree pointer, which the default `.git/` pattern keeps)
    }
    found.push(...nestedRepos(root, child, level + 1));
  }
  return found;
}

/**
 * The `hookspath = …` values of one git config file (`~/` expanded; relative ones are relative to the
 * repository). A plain reading with comments stripped; `include`d files are not followed.
 */
function hooksPathValues(file: string, home: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
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
