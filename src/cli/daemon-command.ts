import { realpathSync, unlinkSync } from "node:fs";
import { daemonFiles } from "../daemon/daemon-files.js";
import { DaemonLock, lockHolderPid } from "../daemon/daemon-lock.js";
import { READY_LINE } from "../daemon/hello.js";
import { policyBytesField, readInfo } from "../daemon/info-file.js";
import { writeInfo } from "../daemon/info-file-write.js";
import { ensureSocketDir, socketDirPath } from "../daemon/runtime-dir.js";
import { listenPrivate, newSocketPath, removeStaleSocket } from "../daemon/socket-listen.js";
import { readStat } from "../panes/process-session.js";
import { askDaemon, reachDaemon } from "./daemon-client.js";
import { findPolicy } from "./policy-location.js";
import { loadServedPolicy } from "./served-policy.js";
import { socketDirProblem } from "./socket-dir-place.js";
import { packageVersion } from "./version.js";

/**
 * `ccmux daemon --config FILE`: panes that outlive their clients. One daemon per policy file, in the
 * foreground, logging to stderr; `serve --daemon` starts it detached when none runs. The policy is read once, at
 * start, and enforced here: every connection gets its own MCP server (tools, validation, audit) over the one pane
 * host. Clients reach it through a Unix socket in a private per-user directory (see src/daemon). Returns the exit
 * code: 0 after `ccmux daemon stop` or a signal, 1 when it cannot start (the reason on stderr), 2 for a policy
 * that does not validate.
 */
export async function runDaemon(options: { config?: string }): Promise<number> {
  // Security: the daemon's log is a file on a filesystem that can fill (an attack review filled a small
  // XDG_RUNTIME_DIR with refusals): a failed write to it loses that line, never the daemon with every session.
  process.stderr.on("error", () => {});
  const loaded = loadServedPolicy(options.config);
  if ("code" in loaded) {
    console.error(`ccmux daemon: ${loaded.what}:`);
    for (const problem of loaded.problems) console.error(`  ${problem}`);
    return 2;
  }
  const file = realpathSync(loaded.file);
  const dir = socketDirPath();
  const misplaced = socketDirProblem(dir, loaded.policy.workspace);
  if (misplaced !== undefined) {
    console.error(`ccmux daemon: ${misplaced}.`);
    return 1;
  }
  try {
    ensureSocketDir(dir);
  } catch (error) {
    console.error(`ccmux daemon: ${(error as Error).message}`);
    return 1;
  }
  const files = daemonFiles(dir, file);
  const lock = DaemonLock.acquire(files.lock);
  if (!lock) {
    console.error(`ccmux daemon: a daemon already runs for ${file} (its lock ${files.lock} is held).`);
    return 1;
  }
  // Security: only the holder of the lock removes a socket: a live daemon's socket is never taken over.
  removePreviousSocket(files.info, dir);
  const socketPath = newSocketPath(dir);
  // The panes, the tools and the emulator load once the policy is known good: a daemon that refuses its policy
  // (a bridge starts one without compiling the policy itself) says so in a third of the time.
  const [{ openPaneServer }, { Daemon }] = await Promise.all([
    import("./pane-server.js"),
    import("./daemon-connections.js"),
  ]);
  const opened = openPaneServer(file, loaded.policy, { daemon: true, socket: socketPath });
  if ("code" in opened) {
    console.error(`ccmux daemon: ${opened.what} (${opened.code}):`);
    for (const problem of opened.problems) console.error(`  ${problem}`);
    lock.release();
    return 1;
  }
  const daemon = new Daemon(opened, socketPath);
  try {
    await listenPrivate(daemon.server, socketPath);
    writeInfo(files.info, {
      version: 1,
      policy: file,
      policyHash: loaded.sha256,
      socket: socketPath,
      pid: process.pid,
      started: new Date().toISOString(),
      ccmux: packageVersion(),
      ...policyBytesField(loaded.bytes),
    });
  } catch (error) {
    console.error(`ccmux daemon: the socket cannot be set up: ${(error as Error).message}`);
    await opened.stop("the socket could not be set up");
    lock.release();
    return 1;
  }
  console.error(
    `ccmux: daemon serving MCP on ${socketPath} (pid ${process.pid}; policy ${file}, audit ${opened.policy.audit.path})${opened.postureLine}.`,
  );
  process.stdout.write(`${READY_LINE}\n`);
  const why = await daemon.stopped;
  await daemon.close(why);
  removeOwnInfo(files.info);
  lock.release();
  return 0;
}

/** The socket a previous daemon of this policy left (it was killed): removed, now that we hold the lock. */
function removePreviousSocket(infoPath: string, dir: string): void {
  try {
    const previous = readInfo(infoPath);
    if (previous.socket.startsWith(`${dir}/`)) removeStaleSocket(previous.socket);
  } catch {
    // no previous daemon, or its info file is not ours: nothing of it is touched
  }
}

/** The info file, if it is still ours (Daemon.close removed the socket). */
function removeOwnInfo(infoPath: string): void {
  try {
    if (readInfo(infoPath).pid === process.pid) unlinkSync(infoPath);
  } catch {
    // gone, or a newer daemon's
  }
}

/**
 * `ccmux daemon stop --config FILE`: asks the policy's daemon (verified first) to end: its panes get SIGHUP,
 * then the shutdown grace, then SIGKILL. Waits until it has exited. Exit 0 stopped, 1 none running or it could
 * not be reached, 2 no policy.
 */
export async function stopDaemon(options: { config?: string }): Promise<number> {
  const found = findPolicy(options.config);
  if (found.file === undefined) {
    console.error(`ccmux daemon stop: ${found.problem}`);
    return 2;
  }
  const file = realpathSync(found.file);
  const dir = socketDirPath();
  const reached = await reachDaemon(dir, file, false);
  if (!reached.ok) {
    console.error(`ccmux daemon stop: ${reached.reason}.`);
    return 1;
  }
  const { socket, info } = reached;
  try {
    const reply = await askDaemon(socket, { ccmux: 1, op: "stop" });
    if (!reply.ok) throw new Error(`${reply.code}: ${reply.message}`);
  } catch (error) {
    console.error(`ccmux daemon stop: ${(error as Error).message}`);
    socket.destroy();
    return 1;
  }
  socket.destroy();
  // Done when the daemon has let go of its lock (it does so last, after its panes and log).
  const { lock } = daemonFiles(dir, file);
  while (lockHolderPid(lock) === info.pid) await new Promise((resolve) => setTimeout(resolve, 20));
  // Then until its process has ended (it lets go of the lock a moment before it exits).
  for (let waited = 0; waited < 10_000 && running(info.pid); waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  console.error(`ccmux: the daemon (pid ${info.pid}) for ${file} has stopped.`);
  return 0;
}

/** Whether `pid` is a live process (not gone, not a zombie waiting for a parent that may never reap it). */
function running(pid: number): boolean {
  const entry = readStat(pid);
  return entry !== undefined && !entry.zombie;
}
