/**
 * The sandbox's path lists: what panes never see (secrets) and what they may read but not change (files
 * that make code run later, outside the sandbox). Patterns here are checked for shape only; src/panes
 * resolves them against the filesystem at each spawn, since secrets and hooks appear over time.
 */

/**
 * Hidden by default. Security: credentials an agent's program could read and send away (seed §1.2), and
 * sockets that reach a more privileged process (a docker socket is root; an agent socket signs as you; a
 * database socket trusts your uid). A read-only mount does not stop connect(2) on a unix socket, so all of
 * /run goes (with network, the directory /etc/resolv.conf points into is shown again).
 * The ccmux config and state directories and the audit log are hidden too, always (added by the server).
 */
export const DEFAULT_HIDDEN: readonly string[] = [
  "~/.ssh",
  "~/.aws",
  "~/.gnupg",
  "~/.config/gh",
  "~/.claude*",
  "~/.config/claude*",
  "~/.docker",
  "~/.kube",
  "~/.netrc",
  "~/.git-credentials",
  "~/.config/git/credentials",
  "~/.npmrc",
  "~/.pypirc",
  "~/.cargo/credentials*",
  "~/.config/gcloud",
  "~/.azure",
  "~/.password-store",
  "~/.local/share/keyrings",
  "~/.pgpass",
  "~/.vault-token",
  "~/.m2/settings.xml",
  "~/.terraform.d/credentials.tfrc.json",
  // Shell and REPL histories: what the person typed, passwords pasted by mistake included.
  "~/.bash_history",
  "~/.zsh_history",
  "~/.python_history",
  "~/.node_repl_history",
  "~/.psql_history",
  "~/.mysql_history",
  "~/.local/share/fish/fish_history",
  "/run",
  "/var/run",
  // Root-equivalent or database sockets kept outside /run.
  "/var/snap/lxd/common/lxd",
  "/var/lib/lxd",
  "/var/lib/incus",
  "/var/lib/mysql",
  "~/.colima",
  "~/.lima",
  "~/.rd",
];

/**
 * Read-only inside every workspace root by default. Security: git and husky run code from these on the
 * person's next git command, outside any sandbox. All of `.git` is read-only, not just hooks and config: a
 * writable `.git` lets a pane add `.git/commondir` (git then takes config and hooks from a directory the pane
 * made), and a read-only mount over a single file such as `.git/config` falls away as soon as the person's own
 * `git config` renames a new file over it. A trailing `/` marks a directory.
 */
export const DEFAULT_READ_ONLY: readonly string[] = [".git/", ".husky/"];

/**
 * With `sandbox.gitWrites`, panes may commit: only hooks and config are protected. The person accepts what
 * DEFAULT_READ_ONLY explains (commondir, a config replaced by the person's own git).
 */
export const GIT_WRITES_READ_ONLY: readonly string[] = [
  ".git/hooks/",
  ".git/config",
  ".git/modules/*/hooks/",
  ".git/modules/*/config",
  ".husky/",
];

const segments = (pattern: string): string[] => pattern.split("/").filter((s) => s !== "");

/** Why a `sandbox.hide` entry is unusable, or undefined when it is fine. */
export function hidePatternProblem(pattern: string): string | undefined {
  if (!pattern.startsWith("/") && !pattern.startsWith("~/")) return "must be absolute or start with ~/";
  return shapeProblem(segments(pattern.startsWith("~/") ? pattern.slice(2) : pattern), "last");
}

/** Why a `sandbox.readOnly` entry is unusable, or undefined when it is fine. */
export function readOnlyPatternProblem(pattern: string): string | undefined {
  if (pattern.startsWith("/") || pattern.startsWith("~")) return "must be relative to the workspace roots";
  return shapeProblem(segments(pattern), "any");
}

function shapeProblem(parts: string[], wildcards: "last" | "any"): string | undefined {
  if (parts.length === 0) return "names no path";
  if (parts.some((part) => part === "." || part === "..")) return "must not contain . or .. segments";
  if (parts.some((part) => part.includes("**"))) return "** is not supported; * matches one name";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (parts.some((part) => /[\u0000-\u001f\u007f]/.test(part))) return "contains control characters";
  if (wildcards === "last" && parts.slice(0, -1).some((part) => part.includes("*")))
    return "* is allowed only in the last segment";
  return undefined;
}
