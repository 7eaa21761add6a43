import { accessSync, constants, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { dirname } from "node:path";
import { socketDirPath } from "../daemon/runtime-dir.js";
import { type PaneUser, resolvePaneUser, userCan } from "../panes/pane-user.js";
import { PaneSandbox } from "../panes/sandbox/pane-sandbox.js";
import { ensurePrivateBase } from "../panes/session-dir.js";
import type { UserSwitch } from "../panes/user-switch.js";
import { isInside } from "../validation/canonical-path.js";
import type { CompiledPolicy } from "../validation/policy-compile.js";
import { resolveProgram } from "../validation/program-resolve.js";
import { AGENT_CONFIG_STAND_INS } from "../validation/sandbox-paths.js";
import { configDir, stateDir } from "./paths.js";

/** A program found like any other: on the server's PATH, never in the workspace or a relative entry. */
function hostProgram(name: string, policy: CompiledPolicy, serverEnv: NodeJS.ProcessEnv): string | undefined {
  try {
    return resolveProgram(name, { serverPath: serverEnv.PATH, roots: policy.workspace }).path;
  } catch {
    return undefined;
  }
}

/** Where Debian and most distributions install util-linux's setpriv. */
const SETPRIV_PATHS = ["/usr/bin/setpriv", "/bin/setpriv"];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Under a root server, who panes run as and the setpriv that switches to them; undefined otherwise.
 * @throws Error (the server does not start) when `sandbox.user` names no account or root, or setpriv is missing.
 */
export function paneUserSwitch(policy: CompiledPolicy, serverEnv: NodeJS.ProcessEnv): UserSwitch | undefined {
  const user = resolvePaneUser(policy.sandbox.user, policy.workspace);
  if (user === undefined) return undefined;
  // util-linux's own place as a fallback: a root server's odd PATH must not decide whether panes can drop root.
  const setpriv =
    hostProgram("setpriv", policy, serverEnv) ?? SETPRIV_PATHS.find((path) => isExecutable(path));
  if (setpriv === undefined) {
    throw new Error(
      "the server runs as root and panes must not: setpriv (util-linux) is needed to run them as an unprivileged user, and it is not on the server's PATH.",
    );
  }
  return { user, setpriv };
}

/** The bubblewrap sandbox for this policy: what panes see, where bwrap is. */
export function makeSandbox(
  policy: CompiledPolicy,
  policyFile: string | undefined,
  sessionBase: string,
  serverEnv: NodeJS.ProcessEnv,
  userSwitch?: UserSwitch,
): PaneSandbox {
  const bwrap = hostProgram("bwrap", policy, serverEnv);
  try {
    ensurePrivateBase(sessionBase);
  } catch (error) {
    throw new Error(`the session directory ${sessionBase} is unsafe: ${(error as Error).message}.`);
  }
  return new PaneSandbox({
    bwrap,
    network: policy.sandbox.network,
    scratchDir: sessionBase,
    userSwitch,
    layout: {
      workspace: policy.workspace,
      hide: [
        ...policy.sandbox.hide,
        auditHidden(policy),
        ...otherHomeSecrets(policy.sandbox.hide, userSwitch?.user),
      ],
      readOnly: policy.sandbox.readOnly,
      agentConfig: policy.sandbox.agentConfig,
      agentConfigStandIns: AGENT_CONFIG_STAND_INS,
      // Security: panes never see ccmux's own config, state (session dirs of other panes) or audit log, nor the
      // daemons' socket directory (seed §5.1: a pane that reaches a socket could talk to the daemon).
      alwaysHide: [configDir(serverEnv), stateDir(serverEnv), sessionBase, socketDirPath(serverEnv)],
      // Security: a policy file in the workspace would let a pane widen its own policy for the next run.
      alwaysReadOnly: policyFile === undefined ? [] : [realOrSelf(policyFile)],
      home: homedir(),
      // With network, name resolution must work: /etc/resolv.conf often points into the hidden /run.
      reveal: policy.sandbox.network ? resolverFile() : [],
    },
  });
}

/**
 * Security: panes running as another user (a root server's `sandbox.user`) could read that user's own
 * credentials, which `~/…` (the server's home) does not name: hide the same entries in their home too.
 */
function otherHomeSecrets(hidden: readonly string[], user: PaneUser | undefined): string[] {
  const home = user?.home;
  if (home === undefined || !home.startsWith("/") || home === homedir() || home === "/") return [];
  return hidden.filter((entry) => entry.startsWith("~/")).map((entry) => `${home}/${entry.slice(2)}`);
}

/**
 * What the person should fix when a root server runs panes as another user: workspace roots that user
 * cannot write, programs of the policy it cannot run (a /root/.pyenv shim, say). Mode bits only.
 */
export function paneUserWarnings(policy: CompiledPolicy, user: PaneUser | undefined): string[] {
  if (user === undefined) return [];
  const who = `panes run as ${user.name} (uid ${user.uid})`;
  const roots = policy.workspace
    .filter((root) => !userCan(user, root, "w"))
    .map(
      (root) =>
        `${who}, who cannot write workspace root ${root}: give it to them (chown -R ${user.uid} ${root}) or set sandbox.user to its owner`,
    );
  const programs = [
    ...new Set(policy.commands.flatMap((rule) => (rule.executable ? [rule.executable.path] : []))),
  ]
    .filter((path) => !userCan(user, path, "x"))
    .map(
      (path) =>
        `${who}, who cannot run ${path}: install it where they can reach it, or put such a place first on the server's PATH`,
    );
  return [...roots, ...programs, ...personAccountWarning(policy, user, who)];
}

/** Where login accounts start (Debian's and most distributions' UID_MIN) and where nobody sits. */
const FIRST_LOGIN_UID = 1000;
const NOBODY_UID = 65534;

/**
 * Security: a pane that runs unsandboxed has everything its user has. An attack review's unsandboxed pane of a
 * root server ran as the workspace owner and attached with --write to a pane of that person's own ccmux daemon;
 * the same pane could write to their terminals and drive their tmux. Said whenever panes may run unsandboxed as a
 * login account.
 */
function personAccountWarning(policy: CompiledPolicy, user: PaneUser, who: string): string[] {
  if (policy.sandbox.mode === "required" || user.uid < FIRST_LOGIN_UID || user.uid === NOBODY_UID) return [];
  return [
    `${who}, a login account, and sandbox.mode ${policy.sandbox.mode} lets panes run unsandboxed: they can reach ${user.name}'s terminals, tmux and own ccmux daemon; set sandbox.user to an account no person uses, or sandbox.mode to required`,
  ];
}

/**
 * What hides the audit log. Security: the log and its siblings — its lock file (a pane holding it would stall
 * every call) and its rotated files (what the agent typed before). Inside the workspace its whole directory
 * goes: a mount on the files covers only those present when a pane starts, and the live log is replaced at
 * each rotation (serve refuses a log directly in a workspace root). Outside, the directory is rebuilt
 * without them, so files rotated later do not appear either.
 */
function auditHidden(policy: CompiledPolicy): string {
  const dir = dirname(policy.audit.path);
  const inWorkspace = policy.workspace.some((root) => dir !== root && isInside(dir, root));
  return inWorkspace ? dir : `${policy.audit.path}*`;
}

/** The resolver configuration /etc/resolv.conf points to (often inside the hidden /run). */
function resolverFile(): string[] {
  try {
    return [realpathSync("/etc/resolv.conf")];
  } catch {
    return [];
  }
}

/**
 * What the person should know about how well this policy's layout can be protected, printed at start. Both
 * are cases where a mount has to sit on a single file, which lasts only until the host replaces that file.
 */
export function sandboxWarnings(policy: CompiledPolicy, policyFile: string): string[] {
  if (policy.sandbox.mode === "off") return [];
  const warnings: string[] = [];
  const file = realOrSelf(policyFile);
  if (policy.workspace.includes(dirname(file))) {
    warnings.push(
      `the policy file ${file} lies directly in a workspace root: panes cannot change it, but once an editor replaces it while they run they can; keep it outside the workspace (e.g. ${configDir()}/ccmux.json)`,
    );
  }
  const home = homedir();
  for (const root of policy.workspace) {
    if (home === root || home.startsWith(`${root}/`)) {
      warnings.push(
        `workspace root ${root} contains your home directory: hidden files there are covered one by one, which lasts only until the host replaces them`,
      );
    }
  }
  return warnings;
}

/** The canonical path: the workspace roots are canonical, so a policy named through a symlink must be too. */
function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
