import { lstatSync, realpathSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { basename, dirname, resolve } from "node:path";
import { currentUid, privacyProblem } from "../shared/owner-check.js";
import { DaemonDirError, DaemonUntrusted } from "./daemon-errors.js";
import { daemonFiles, SOCKET_NAME } from "./daemon-files.js";
import { lockHolderPid } from "./daemon-lock.js";
import { type DaemonInfo, readInfo } from "./info-file.js";
import { pidNamespaceDepth } from "./peer-check.js";
import { checkSocketDir } from "./runtime-dir.js";
import { peerCredentials } from "./socket-fd.js";

/**
 * The client's verdict on a policy's daemon. `stale: true`: no daemon runs for this policy (the lock is free),
 * so starting one is safe. `stale: false`: something is there that must not be trusted or is not ready; the
 * caller refuses with `reason` (a sentence for the person), unless `retry` says a daemon holds the lock but has
 * not finished starting (no info file yet, or an old one): then it may wait and ask again.
 */
export type DaemonVerdict =
  | { ok: true; info: DaemonInfo; socket: Socket }
  | { ok: false; reason: string; stale: boolean; retry?: boolean };

export interface VerifyOptions {
  /** How long to wait for connect() (ms). Default 2000. */
  connectTimeoutMs?: number;
}

/**
 * Finds and checks the daemon for `policyPath` in the socket directory `dir` before anything is sent to it, in
 * this order, connecting only after every file check passed: the directory (lstat: ours, 0700-style, not
 * created here); the info file (readInfo); its policy is this policy's realpath and its socket is a random name
 * directly inside `dir`; the lock is held by the info's pid (else stale); the socket (lstat: a socket, ours, no
 * group/other bits); then connect, and SO_PEERCRED of the server must be our uid and the info's pid. Resolves
 * with the connected socket, or a verdict (any socket destroyed). Never rejects.
 */
export async function verifyDaemon(
  dir: string,
  policyPath: string,
  uid: number = currentUid(),
  options: VerifyOptions = {},
): Promise<DaemonVerdict> {
  try {
    return await inspect(dir, policyPath, uid, options);
  } catch (error) {
    // e.g. /proc/locks unreadable (no /proc): fail closed, never treated as stale
    return {
      ok: false,
      reason: `cannot check the daemon for ${policyPath}: ${(error as Error).message}`,
      stale: false,
    };
  }
}

async function inspect(
  dir: string,
  policyPath: string,
  uid: number,
  options: VerifyOptions,
): Promise<DaemonVerdict> {
  const refuse = (reason: string, retry = false): DaemonVerdict => ({
    ok: false,
    reason,
    stale: false,
    ...(retry ? { retry } : {}),
  });
  const stale = (reason: string): DaemonVerdict => ({ ok: false, reason, stale: true });
  try {
    checkSocketDir(dir, uid);
  } catch (error) {
    if (error instanceof DaemonDirError && error.reason === "missing")
      return stale(`no daemon: ${dir} does not exist`);
    return refuse((error as Error).message);
  }
  let files: ReturnType<typeof daemonFiles>;
  let policy: string;
  try {
    files = daemonFiles(dir, policyPath);
    policy = realpathSync(policyPath);
  } catch (error) {
    return refuse(`cannot read the policy file ${policyPath}: ${(error as Error).message}`);
  }
  let info: DaemonInfo;
  try {
    info = readInfo(files.info, uid);
  } catch (error) {
    const holder = lockHolderPid(files.lock);
    if (error instanceof DaemonUntrusted && (error.reason === "missing" || error.reason === "malformed")) {
      if (holder === undefined) return stale(`no daemon runs for ${policy} (no info file, lock free)`);
      if (error.reason === "missing")
        return refuse(
          `a daemon (pid ${holder}) holds the lock for ${policy} but has not written its info file yet`,
          true,
        );
    }
    return refuse((error as Error).message);
  }
  if (info.policy !== policy)
    return refuse(
      `the daemon info file ${files.info} is for ${info.policy}, not ${policy}; remove it (rm ${files.info})`,
    );
  // Security: an info file naming a socket elsewhere (another user's directory, /tmp) would send us to a server
  // that passed none of the directory's checks: only a random name directly inside our directory is accepted.
  if (dirname(info.socket) !== resolve(dir) || !SOCKET_NAME.test(basename(info.socket)))
    return refuse(
      `the daemon info file ${files.info} names the socket ${info.socket}, which is not a ccmux socket inside ${dir}; remove the info file (rm ${files.info})`,
    );
  // Security: planted or stale socket — a socket whose daemon no longer holds the lock is never connected to;
  // whoever listens there now (a process that took over the name) is not our daemon.
  const holder = lockHolderPid(files.lock);
  if (holder === undefined)
    return stale(`the daemon for ${policy} (pid ${info.pid}) is no longer running: its lock is free`);
  if (holder !== info.pid)
    return refuse(
      holder === 0
        ? `the lock ${files.lock} is held by a process in another pid namespace, not by pid ${info.pid} named in ${files.info}`
        : `the lock ${files.lock} is held by pid ${holder}, not by pid ${info.pid} named in ${files.info}; a new daemon may be starting`,
      holder !== 0,
    );
  let problem: ReturnType<typeof privacyProblem>;
  try {
    problem = privacyProblem(lstatSync(info.socket), info.socket, "socket", uid);
  } catch (error) {
    return refuse(
      `the daemon (pid ${info.pid}) holds its lock but its socket ${info.socket} cannot be inspected (${(error as Error).message}); stop it with ccmux daemon stop`,
    );
  }
  if (problem) return refuse(`the daemon socket ${problem.message}`);
  return connectAndCheck(info, uid, options.connectTimeoutMs ?? 2000, refuse);
}

/** Connects to info.socket and accepts the connection only when the server is our uid and info.pid. */
async function connectAndCheck(
  info: DaemonInfo,
  uid: number,
  timeoutMs: number,
  refuse: (reason: string) => DaemonVerdict,
): Promise<DaemonVerdict> {
  const socket = connect(info.socket);
  const connected = await new Promise<Error | undefined>((settle) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("error", done);
      settle(error);
    };
    const onConnect = () => done();
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once("connect", onConnect);
    socket.once("error", done);
  });
  if (connected) {
    socket.destroy();
    return refuse(`cannot connect to the daemon socket ${info.socket}: ${connected.message}`);
  }
  let verdict: DaemonVerdict | undefined;
  try {
    const server = peerCredentials(socket);
    // Security: socket swap — whoever listens on the socket must be the lock holder named in the info file, under
    // our uid; a process that bound the name after the file checks (or a leftover server) is refused here.
    if (server.uid !== uid)
      verdict = refuse(
        `the process behind ${info.socket} (pid ${server.pid}) runs as uid ${server.uid}, not uid ${uid}`,
      );
    else if (server.pid !== info.pid)
      verdict = refuse(
        `the process behind ${info.socket} is pid ${server.pid}, not the daemon pid ${info.pid} that holds the lock`,
      );
    else if (!sameOrOuterPidNamespace(server.pid))
      // Security: a pane's sandbox runs in a pid namespace of its own, with our uid: one that reached the socket
      // directory (an attack review did, through a symlinked XDG_RUNTIME_DIR) could stand up a daemon of its own,
      // take the lock and write an info file naming itself, and every check above passes. No genuine daemon runs
      // below its clients.
      verdict = refuse(
        `the process behind ${info.socket} (pid ${server.pid}) runs in a pid namespace below this one (a sandbox), so it is not a daemon this process started`,
      );
  } catch (error) {
    verdict = refuse(`cannot read the daemon's peer credentials: ${(error as Error).message}`);
  }
  if (verdict) {
    socket.destroy();
    return verdict;
  }
  return { ok: true, info, socket };
}

/** Whether `pid` runs in this process's pid namespace or one above it (never in one nested below it). */
function sameOrOuterPidNamespace(pid: number): boolean {
  const theirs = pidNamespaceDepth(pid);
  const ours = pidNamespaceDepth(process.pid);
  return theirs !== undefined && ours !== undefined && theirs <= ours;
}
