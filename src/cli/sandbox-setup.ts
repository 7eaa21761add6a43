import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { dirname } from "node:path";
import { PaneSandbox } from "../panes/sandbox/pane-sandbox.js";
import { ensurePrivateBase } from "../panes/session-dir.js";
import type { CompiledPolicy } from "../validation/policy-compile.js";
import { resolveProgram } from "../validation/program-resolve.js";
import { configDir, stateDir } from "./paths.js";

/** The bubblewrap sandbox for this policy: what panes see, where bwrap is. */
export function makeSandbox(
  policy: CompiledPolicy,
  policyFile: string | undefined,
  sessionBase: string,
  serverEnv: NodeJS.ProcessEnv,
): PaneSandbox {
  let bwrap: string | undefined;
  try {
    // Found like any program: on the server's PATH, never in the workspace or a relative entry.
    bwrap = resolveProgram("bwrap", { serverPath: serverEnv.PATH, roots: policy.workspace }).path;
  } catch {
    bwrap = undefined;
  }
  try {
    ensurePrivateBase(sessionBase);
  } catch (error) {
    throw new Error(`the session directory ${sessionBase} is unsafe: ${(error as Error).message}.`);
  }
  return new PaneSandbox({
    bwrap,
    network: policy.sandbox.network,
    scratchDir: sessionBase,
    layout: {
      workspace: policy.workspace,
      // Security: the log and its siblings — its lock file (a pane holding it would stall every call) and its
      // rotated files (what the agent typed before). Outside the workspace the directory is rebuilt without
      // them, so files rotated later do not appear either.
      hide: [...policy.sandbox.hide, `${policy.audit.path}*`],
      readOnly: policy.sandbox.readOnly,
      agentConfig: policy.sandbox.agentConfig,
      // Security: panes never see ccmux's own config, state (session dirs of other panes) or audit log.
      alwaysHide: [configDir(serverEnv), stateDir(serverEnv)],
      // Security: a policy file in the workspace would let a pane widen its own policy for the next run.
      alwaysReadOnly: policyFile === undefined ? [] : [realOrSelf(policyFile)],
      home: homedir(),
      // With network, name resolution must work: /etc/resolv.conf often points into the hidden /run.
      reveal: policy.sandbox.network ? resolverFile() : [],
    },
  });
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
