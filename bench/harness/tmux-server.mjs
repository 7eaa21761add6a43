// The tmux peer: a private tmux server (its own socket, no config file) driven the way tmux-mcp drives one, with
// one `tmux` client process per call; and a control-mode client on it where a workload needs tmux's own clock.
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { controlClient } from "./tmux-control.mjs";
import { PANE_ENV } from "./workspace.mjs";

const execFileAsync = promisify(execFile);

/** `tmux -V`, or null when tmux does not run. */
function tmuxVersion() {
  const result = spawnSync("tmux", ["-V"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : null;
}

/**
 * Makes sure tmux is installed: when `tmux -V` fails and we are root on a system with apt-get, installs the
 * Debian package. `version` is null when tmux is still unavailable (the tmux columns are then skipped).
 * @param {(line: string) => void} log
 * @returns {{ version: string | null, note: string }}
 */
export function ensureTmux(log) {
  const found = tmuxVersion();
  if (found) return { version: found, note: "" };
  const root = process.getuid?.() === 0;
  const apt = ["/usr/bin/apt-get", "/bin/apt-get"].find((path) => existsSync(path));
  if (!root || !apt)
    return {
      version: null,
      note: `tmux is not installed and cannot be installed here (${root ? "no apt-get" : "not root"})`,
    };
  log("tmux missing: apt-get update && apt-get install -y tmux ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync(apt, ["update", "-qq"], { env, stdio: ["ignore", "ignore", "inherit"] });
  const install = spawnSync(apt, ["install", "-y", "-qq", "tmux"], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const after = tmuxVersion();
  if (after) return { version: after, note: "installed by the bench with apt-get" };
  return { version: null, note: `apt-get install -y tmux failed (exit ${install.status})` };
}

/** Kill functions of the servers started and not yet killed. */
const live = new Set();

/** Kills every tmux server this process started (for signal handlers and failures). */
export function killAllTmux() {
  for (const kill of [...live]) kill();
}

/**
 * @typedef {Awaited<ReturnType<typeof startTmux>>} TmuxServer
 */

/**
 * Starts a private tmux server on `<dir>/tmux/sock` with no config file, history-limit and remain-on-exit set
 * before any pane exists, and exit-empty off so the server lives with no session. `run(...args)` is one tmux
 * client process, resolving with its stdout.
 * @param {string} dir
 * @param {{ historyLimit: number }} options
 */
export async function startTmux(dir, { historyLimit }) {
  const sockDir = join(dir, "tmux");
  mkdirSync(sockDir, { recursive: true, mode: 0o700 });
  const sock = join(sockDir, "sock");
  const base = ["-S", sock, "-f", "/dev/null"];
  /** @param {string[]} args */
  const run = async (...args) => {
    try {
      const { stdout } = await execFileAsync("tmux", [...base, ...args], {
        env: PANE_ENV,
        maxBuffer: 64 << 20,
      });
      return stdout;
    } catch (error) {
      const stderr = /** @type {{ stderr?: unknown }} */ (error).stderr;
      throw new Error(
        `tmux ${args.join(" ")} -> ${typeof stderr === "string" && stderr.trim() ? stderr.trim() : error}`,
      );
    }
  };
  const options = [
    ["set-option", "-s", "exit-empty", "off"],
    ["set-option", "-g", "history-limit", String(historyLimit)],
    ["set-option", "-g", "remain-on-exit", "on"],
  ];
  await run("start-server", ...options.flatMap((option) => [";", ...option]));
  /** @type {number | undefined} */
  let pid;
  const kill = () => {
    live.delete(kill);
    spawnSync("tmux", [...base, "kill-server"], { env: PANE_ENV, stdio: "ignore", timeout: 10_000 });
    try {
      if (pid) process.kill(pid, "SIGKILL");
    } catch {
      // already gone: the normal case
    }
  };
  live.add(kill);
  try {
    pid = Number((await run("display-message", "-p", "#{pid}")).trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`tmux server pid unreadable: ${pid}`);
  } catch (error) {
    kill();
    throw error;
  }
  return {
    sock,
    pid,
    run,
    kill,
    /**
     * A detached session of `cols`×`rows` whose first window runs `command` in `cwd`; resolves with its pane id.
     * @param {string} name @param {{ cols: number, rows: number, cwd: string }} shape @param {string[]} command
     */
    async newSession(name, { cols, rows, cwd }, ...command) {
      const geometry = ["-x", String(cols), "-y", String(rows)];
      return (
        await run(
          "new-session",
          "-d",
          "-P",
          "-F",
          "#{pane_id}",
          "-s",
          name,
          ...geometry,
          "-c",
          cwd,
          ...command,
        )
      ).trim();
    },
    /**
     * A new window in `session` running `command` in `cwd`; resolves with its pane id.
     * @param {string} session @param {string} cwd @param {string[]} command
     */
    async newWindow(session, cwd, ...command) {
      return (
        await run("new-window", "-d", "-P", "-F", "#{pane_id}", "-t", `${session}:`, "-c", cwd, ...command)
      ).trim();
    },
    /** @param {string} pane */
    capture: (pane) => run("capture-pane", "-p", "-t", pane),
    /** @param {string} pane */
    killPane: (pane) => run("kill-pane", "-t", pane),
    /** A control-mode client attached to `session`. @param {string} session */
    control: (session) => controlClient({ socket: ["-S", sock], env: PANE_ENV, session }),
  };
}

/**
 * Polls `check` until it resolves truthy; throws after `timeoutMs`. `intervalMs` 0 polls back-to-back. For setup
 * and checks outside the timed part only: a timed wait uses the measured peer's own clock.
 * @param {() => Promise<unknown>} check
 * @param {{ timeoutMs: number, intervalMs?: number, what: string }} options
 */
export async function pollUntil(check, { timeoutMs, intervalMs = 0, what }) {
  const deadline = Date.now() + timeoutMs;
  for (let polls = 1; ; polls++) {
    if (await check()) return polls;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    if (intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
