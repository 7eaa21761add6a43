import { closeSync, constants, openSync, readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { daemonFiles } from "../daemon/daemon-files.js";
import { lockHolderPid } from "../daemon/daemon-lock.js";
import { type DaemonVerdict, verifyDaemon } from "../daemon/daemon-verify.js";
import { type Hello, type HelloReply, READY_LINE, readFirstLine, writeLine } from "../daemon/hello.js";
import type { DaemonInfo } from "../daemon/info-file.js";

/** How long a started daemon may take to accept connections (it probes the sandbox first). */
const START_TIMEOUT_MS = 60_000;
/** How long a client waits for a daemon another client is starting (it holds the lock, its socket is not up). */
const RACE_TIMEOUT_MS = 30_000;
/** How long a daemon may take to answer a hello. */
const REPLY_TIMEOUT_MS = 30_000;

export type Reached = { ok: true; info: DaemonInfo; socket: Socket } | { ok: false; reason: string };

/**
 * Connects to the daemon of `policyFile` (a real path) in socket directory `dir`, after checking it may be
 * trusted (verifyDaemon: files ours and private, the pid holds the lock, the socket's server is our uid and that
 * pid). With `start`, a daemon is started (detached) when none runs, and waited for; two clients starting one at
 * once end up on the same daemon.
 */
export async function reachDaemon(dir: string, policyFile: string, start: boolean): Promise<Reached> {
  const first = await settled(dir, policyFile, Date.now() + RACE_TIMEOUT_MS);
  if (first.ok) return first;
  if (!first.stale) return { ok: false, reason: first.reason };
  if (!start) return { ok: false, reason: `no daemon runs for ${policyFile}` };
  const started = await startDaemon(dir, policyFile);
  // Another client may have started one first (ours then exits: the lock is held): wait for that one.
  const found = await settled(dir, policyFile, Date.now() + RACE_TIMEOUT_MS);
  if (found.ok) return found;
  return { ok: false, reason: started.ok ? found.reason : started.reason };
}

/**
 * verifyDaemon, asked again every 50 ms until `deadline` while a daemon holds the lock but has not finished
 * starting (`retry`: no info file yet, or one naming another pid).
 */
async function settled(dir: string, policyFile: string, deadline: number): Promise<DaemonVerdict> {
  for (;;) {
    const verdict = await verifyDaemon(dir, policyFile);
    const starting =
      !verdict.ok &&
      (verdict.retry === true ||
        (verdict.stale && lockHolderPid(daemonFiles(dir, policyFile).lock) !== undefined));
    if (!starting || Date.now() >= deadline) return verdict;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts `ccmux daemon --config FILE` detached (its own session, cwd /, stderr to its log in `dir`) and waits
 * until it says it is ready, or exits, or START_TIMEOUT_MS pass.
 */
async function startDaemon(
  dir: string,
  policyFile: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { log } = daemonFiles(dir, policyFile);
  // Security: the log is opened without following a symlink, and private to us.
  const logFd = openSync(
    log,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    0o600,
  );
  const cli = fileURLToPath(new URL("./main.js", import.meta.url));
  // Loaded here: a bridge that finds its daemon running never starts one.
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [cli, "daemon", "--config", policyFile], {
    detached: true,
    cwd: "/",
    stdio: ["ignore", "pipe", logFd],
  });
  closeSync(logFd);
  const outcome = await new Promise<{ ok: true } | { ok: false; reason: string }>((resolve) => {
    let out = "";
    const timer = setTimeout(
      () =>
        resolve({ ok: false, reason: `the daemon did not start within ${START_TIMEOUT_MS} ms (see ${log})` }),
      START_TIMEOUT_MS,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (out.includes(`${READY_LINE}\n`)) {
        clearTimeout(timer);
        resolve({ ok: true });
      }
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `the daemon could not be started: ${error.message}` });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `the daemon exited (${code}): ${lastLines(log)}` });
    });
  });
  child.stdout?.destroy();
  child.unref();
  return outcome;
}

/** The last few lines of the daemon's log, for an error message. */
function lastLines(log: string): string {
  try {
    return readFileSync(log, "utf8").trim().split("\n").slice(-4).join(" | ");
  } catch {
    return `see ${log}`;
  }
}

/** Says `hello` on a verified socket and reads the daemon's one-line answer. */
export async function askDaemon(socket: Socket, hello: Hello): Promise<HelloReply> {
  writeLine(socket, hello);
  const line = await readFirstLine(socket, 16 * 1024 * 1024, REPLY_TIMEOUT_MS);
  const reply: unknown = JSON.parse(line);
  // Robustness: `null`, a number or an array as the answer crashed the bridge on reply.ok (an attack review).
  if (
    reply === null ||
    typeof reply !== "object" ||
    Array.isArray(reply) ||
    typeof (reply as { ok?: unknown }).ok !== "boolean"
  )
    throw new Error("the daemon's answer to the hello is not a reply object");
  return reply as HelloReply;
}
