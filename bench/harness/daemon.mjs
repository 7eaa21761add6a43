// The daemon side of the bench: a policy's daemon (`ccmux serve --daemon` starts it) in a runtime directory of
// its own, so the bench never meets another daemon of this user, and its stop.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { daemonFilesModule } from "./built.mjs";
import { serve } from "./mcp-server.mjs";
import { processGone } from "./proc.mjs";
import { CLI, cliEnv } from "./workspace.mjs";

const { daemonFiles } = await daemonFilesModule();

/** Stop functions of the daemons started and not yet stopped. */
const live = new Set();

/** Stops every daemon this process started (for signal handlers and failures). */
export function stopAllDaemons() {
  for (const stop of [...live]) stop();
}

/**
 * The daemon of `ws`'s policy in XDG_RUNTIME_DIR=<ws.dir>/run. `connect(session)` starts a fresh bridge (serve's
 * options apply); `pid()` reads the info file (undefined before a daemon wrote one); `cli(...args)` runs the CLI
 * with the daemon's environment; `stop()` runs `ccmux daemon stop`, SIGKILLs the pid if it is still there, and
 * waits until it is gone.
 * @param {import("./workspace.mjs").Workspace} ws
 */
export function daemonFor(ws) {
  const runtime = join(ws.dir, "run");
  mkdirSync(runtime, { mode: 0o700, recursive: true });
  const env = { XDG_RUNTIME_DIR: runtime };
  const socketDir = join(runtime, "ccmux");
  const files = daemonFiles(socketDir, ws.policyPath);
  /** @returns {number | undefined} */
  const pid = () => {
    try {
      return JSON.parse(readFileSync(files.info, "utf8")).pid;
    } catch {
      return undefined;
    }
  };
  /** @param {string[]} args */
  const cli = (...args) =>
    spawnSync(process.execPath, [CLI, ...args], {
      env: { ...cliEnv(ws), ...env },
      cwd: ws.dir,
      encoding: "utf8",
      timeout: 60_000,
    });
  const stop = () => {
    live.delete(stop);
    const running = pid();
    cli("daemon", "stop", "--config", ws.policyPath);
    if (running === undefined) return;
    try {
      if (!processGone(running)) process.kill(running, "SIGKILL");
    } catch {
      // gone meanwhile
    }
    // SIGKILL cannot be ignored, so this ends; spawnSync's sleep keeps it synchronous for signal handlers.
    while (!processGone(running)) spawnSync("sleep", ["0.02"]);
  };
  return {
    env,
    socketDir,
    pid,
    cli,
    /** @param {string} session @param {{ listTools?: boolean }} [options] */
    connect(session, options = {}) {
      live.add(stop);
      return serve(ws, { ...options, args: ["--daemon", "--session", session], env });
    },
    stop,
  };
}
