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
  // Cloud, registry and forge credentials, each where its tool's manual says it keeps them.
  "~/.ssh", // ssh(1) FILES
  "~/.aws", // AWS CLI "Configuration and credential file settings"
  "~/.gnupg", // gpg(1) FILES
  "~/.config/gh", // gh help environment (GH_CONFIG_DIR)
  "~/.claude*", // Claude Code settings docs (~/.claude, ~/.claude.json)
  "~/.config/claude*",
  "~/.docker", // docker login: ~/.docker/config.json
  "~/.config/containers/auth.json", // containers-auth.json(5) (podman, buildah, skopeo)
  "~/.kube", // kubectl "Organizing Cluster Access Using kubeconfig Files"
  "~/.netrc", // netrc(5); curl, git, ftp
  "~/.git-credentials", // git-credential-store(1) FILES
  "~/.config/git/credentials", // git-credential-store(1) FILES
  "~/.npmrc", // npmrc(5): _authToken
  "~/.yarnrc.yml", // Yarn Berry settings: npmAuthToken
  "~/.pypirc", // PyPA "The .pypirc file"
  "~/.config/pip/pip.conf", // pip "Configuration": index-url may carry a password
  "~/.gem/credentials", // RubyGems "gem push" API key
  "~/.cargo/credentials*", // Cargo "Configuration: credentials"
  "~/.nuget/NuGet/NuGet.Config", // NuGet "nuget.config reference": packageSourceCredentials
  "~/.gradle/gradle.properties", // Gradle "Build Environment": repository passwords
  "~/.m2/settings.xml", // Maven "Settings Reference": servers/password
  "~/.config/gcloud", // gcloud "Credential storage"
  "~/.azure", // Azure CLI "CLI configuration"
  "~/.oci", // OCI CLI "SDK and CLI Configuration File"
  "~/.config/doctl", // doctl auth init
  "~/.terraform.d/credentials.tfrc.json", // Terraform CLI "credentials" block
  "~/.pulumi/credentials.json", // Pulumi "pulumi login"
  "~/.vault-token", // Vault "Token helpers"
  "~/.config/rclone/rclone.conf", // rclone "Configuration file"
  "~/.s3cfg", // s3cmd --configure
  "~/.boto", // boto/gsutil "The .boto configuration file"
  "~/.databrickscfg", // Databricks "configuration profiles"
  "~/.config/hub", // hub(1) FILES
  "~/.config/glab-cli", // glab "config"
  // Database passwords.
  "~/.pgpass", // PostgreSQL "The Password File"
  "~/.my.cnf", // MySQL "Using Option Files" ([client] password)
  "~/.mylogin.cnf", // mysql_config_editor(1)
  // Password stores and keyrings.
  "~/.password-store", // pass(1)
  "~/.local/share/keyrings", // GNOME Keyring (gnome-keyring-daemon(1))
  "~/.local/share/kwalletd", // KWallet
  "~/.config/op", // 1Password CLI "config directory"
  "~/.config/Bitwarden CLI", // Bitwarden CLI "data.json"
  "~/.config/sops/age/keys.txt", // sops "age" key file
  // Browser and mail profiles: cookies (live sessions), saved passwords, history.
  "~/.mozilla", // Firefox "Profiles - where Firefox stores your bookmarks, passwords…"
  "~/.thunderbird",
  "~/snap/firefox",
  "~/.config/google-chrome*", // Chromium docs "User Data Directory" (Linux)
  "~/.config/chromium",
  "~/snap/chromium",
  "~/.config/BraveSoftware",
  "~/.config/microsoft-edge*",
  "~/.config/vivaldi*",
  "~/.config/opera*",
  // Other agents' and AI tools' logins: a pane's program could act as the person with them.
  "~/.codex", // OpenAI Codex CLI "Authentication": auth.json
  "~/.gemini", // Gemini CLI "Authentication": oauth_creds.json
  "~/.config/github-copilot", // GitHub Copilot editors: hosts.json / apps.json hold the OAuth token
  "~/.huggingface", // huggingface_hub (old releases): token
  "~/.cache/huggingface/token", // huggingface_hub "Environment variables": HF_TOKEN_PATH default
  "~/.cache/huggingface/stored_tokens",
  // Build tools and CLIs that keep tokens in their own files.
  "~/.ivy2/.credentials", // sbt "Publishing": credentials file
  "~/.terraformrc", // Terraform "CLI Configuration File": credentials blocks
  "~/.yarnrc", // Yarn 1 "yarnrc": npmAuthToken / _authToken
  "~/.condarc", // conda "Using the .condarc conda configuration file": channel tokens
  "~/.config/configstore", // configstore (npm): where many Node CLIs (firebase, vercel, …) keep their tokens
  "~/.fly", // flyctl: config.yml access_token
  "~/.wrangler", // Cloudflare wrangler (v1/v2): config/default.toml oauth_token
  "~/.config/.wrangler",
  "~/.config/stripe", // Stripe CLI "config.toml": live and test keys
  "~/.config/hcloud", // hcloud CLI: cli.toml tokens
  "~/.env", // dotenv files kept in the home directory
  // X11 authority cookies: with one, a program can type into the person's desktop (xdotool) where it reaches it.
  "~/.Xauthority",
  "~/.ICEauthority",
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
 * The other version-control directories that run code from a repository, read-only whether or not panes may
 * write `.git` (`gitWrites`): Mercurial's `.hg/hgrc` ([hooks], [extensions]), Jujutsu's `.jj/repo/config.toml`,
 * Sapling's `.sl/config` ([hooks]), Darcs's `_darcs/prefs/defaults` (prehook, posthook), Pijul's `.pijul/config`
 * ([hooks]). Nested ones are found like nested `.git`s (git-paths.ts OTHER_CONTROL_DIRS).
 */
const OTHER_VCS_READ_ONLY: readonly string[] = [".hg/", ".jj/", ".sl/", "_darcs/", ".pijul/"];

/**
 * Read-only inside every workspace root by default. Security: git and husky run code from these on the
 * person's next git command, outside any sandbox. All of `.git` is read-only, not just hooks and config: a
 * writable `.git` lets a pane add `.git/commondir` (git then takes config and hooks from a directory the pane
 * made), and a read-only mount over a single file such as `.git/config` falls away as soon as the person's own
 * `git config` renames a new file over it. A trailing `/` marks a directory.
 */
export const DEFAULT_READ_ONLY: readonly string[] = [".git/", ".husky/", ...OTHER_VCS_READ_ONLY];

/**
 * Agent and editor configuration, read-only by default at each workspace root and at the top of every
 * repository below one; `sandbox.agentConfigWritable` opts entries out. Security: each of these runs code
 * outside the sandbox on an action that is not "run this project" — opening the folder in an editor, starting
 * the next agent, `cd`, `git commit` — or steers the next agent (a planted instruction file is a prompt
 * injection that persists). A trailing `/` marks a directory; a missing one at a root gets an empty read-only
 * stand-in, a missing file cannot be (see mount-plan.ts). Sources, per entry:
 */
export const DEFAULT_AGENT_CONFIG: readonly string[] = [
  ".claude/", // Claude Code "Settings" and "Hooks": .claude/settings*.json hooks run shell commands
  "CLAUDE.md", // Claude Code "Memory": project instructions loaded at start
  "CLAUDE.local.md",
  ".mcp.json", // Claude Code "MCP": project-scoped servers are commands it starts
  "AGENTS.md", // agents.md: read by Codex, Cursor, Jules, Aider and others
  "GEMINI.md", // Gemini CLI "Context files"
  ".gemini/", // Gemini CLI "Configuration": settings.json mcpServers
  ".cursor/", // Cursor "Rules" and "MCP" (.cursor/rules, .cursor/mcp.json)
  ".cursorrules",
  ".github/copilot-instructions.md", // GitHub Copilot "custom instructions"
  ".vscode/", // VS Code "Tasks": runOptions.runOn "folderOpen" runs a task on opening the folder
  ".idea/", // JetBrains: run configurations and startup tasks in the project directory
  ".devcontainer/", // Dev Containers spec: initializeCommand runs on the host
  ".envrc", // direnv(1): sourced by the shell on cd (once allowed)
  ".pre-commit-config.yaml", // pre-commit.com: hooks it installs run on git commit
  ".lintstagedrc*", // lint-staged README "Configuration": commands run on commit via husky
  "lint-staged.config.*",
  ".github/workflows/", // GitHub Actions: run with the repository's secrets on the person's next push
  // Found missing by a review of this list; each runs code or steers an agent the same way.
  ".codex/", // OpenAI Codex CLI: project config.toml (mcp_servers are commands it starts)
  ".windsurf/", // Windsurf "Rules" and workflows
  ".windsurfrules",
  ".clinerules", // Cline "Rules"
  ".roo/", // Roo Code rules and MCP settings
  ".kiro/", // Kiro steering files and hooks
  ".amazonq/", // Amazon Q Developer project rules and MCP configuration
  ".continue/", // Continue config (MCP servers, rules)
  ".junie/", // JetBrains Junie guidelines
  ".aider.conf.yml", // aider "Configuration": lint-cmd/test-cmd it runs
  "opencode.json", // opencode: project config (MCP servers, commands)
  ".github/instructions/", // GitHub Copilot path-specific instructions
  ".github/prompts/", // GitHub Copilot prompt files
  ".github/chatmodes/", // GitHub Copilot chat modes
  ".zed/", // Zed "Tasks" and project settings
  ".nvim.lua", // Neovim 'exrc': sourced on start in the directory (once trusted)
  ".exrc", // vi/Vim 'exrc'
  "*.code-workspace", // VS Code workspace files: tasks and settings like .vscode/
  ".npmrc", // npm "npmrc": script-shell, node-options apply to every npm command there
  ".yarnrc.yml", // Yarn Berry "yarnPath": a JavaScript file run by every yarn command there
  "mise.toml", // mise "Hooks": enter/cd hooks run by the shell integration
  ".mise.toml",
  ".gitlab-ci.yml", // GitLab CI: run with the project's CI secrets on push
  ".circleci/", // CircleCI: the same
];

/**
 * Entries of DEFAULT_AGENT_CONFIG that get an empty read-only stand-in at a workspace root while missing, so a
 * pane cannot create them: directories whose contents run code when the folder is opened or the agent starts.
 * The others are protected when present (a stand-in for every name would litter the person's workspace).
 */
export const AGENT_CONFIG_STAND_INS: readonly string[] = [
  ".claude/",
  ".vscode/",
  ".idea/",
  ".devcontainer/",
  ".cursor/",
  ".gemini/",
];

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
  ...OTHER_VCS_READ_ONLY,
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
