// tmux side of bench/run.mjs: a private tmux server driven the way tmux-mcp drives one — one `tmux` client
// subprocess per call (child_process.execFile, async). Plain Node ESM.
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** `tmux -V` output, or null when tmux does not run. */
function tmuxVersion() {
  const result = spawnSync("tmux", ["-V"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : null;
}

/**
 * Makes sure tmux is installed: when `tmux -V` fails and we are root on a system with apt-get, installs the
 * Debian package. Returns { version, note }; version is null when tmux is still unavailable (tmux rows skipped).
 */
export function ensureTmux(log) {
  const found = tmuxVersion();
  if (found) return { version: found, note: "" };
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const apt = ["/usr/bin/apt-get", "/bin/apt-get"].find((path) => existsSync(path));
  if (!root || !apt) {
    return {
      version: null,
      note: `tmux is not installed and cannot be installed here (${root ? "no apt-get" : "not root"}); tmux rows skipped`,
    };
  }
  log("tmux missing: apt-get update && apt-get install -y tmux ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const stdio = ["ignore", "ignore", "inherit"];
  spawnSync(apt, ["update", "-qq"], { env, stdio });
  const install = spawnSync(apt, ["install", "-y", "-qq", "tmux"], { env, stdio });
  const after = tmuxVersion();
  if (after) return { version: after, note: "installed by the bench with apt-get" };
  return {
    version: null,
    note: `apt-get install -y tmux failed (exit ${install.status}); tmux rows skipped`,
  };
}

/**
 * Starts a private tmux server on `<dir>/tmux/sock` with no config file (-f /dev/null), history-limit and
 * remain-on-exit set globally before any pane exists, and exit-empty off so the server lives with no session.
 */
export async function startTmux(dir, { historyLimit, env }) {
  const sockDir = join(dir, "tmux");
  mkdirSync(sockDir, { recursive: true, mode: 0o700 });
  const sock = join(sockDir, "sock");
  const base = ["-S", sock, "-f", "/dev/null"];
  let calls = 0;

  /** One tmux client subprocess; resolves with its stdout. Separate arguments, as execFile passes them. */
  const run = async (...args) => {
    calls++;
    try {
      const { stdout } = await execFileAsync("tmux", [...base, ...args], {
        env,
        maxBuffer: 64 << 20,
        encoding: "utf8",
      });
      return stdout;
    } catch (error) {
      const stderr = typeof error.stderr === "string" ? error.stderr.trim() : "";
      throw new Error(`tmux ${args.join(" ")} -> ${stderr || error.message}`);
    }
  };

  await run(
    "start-server",
    ";",
    "set-option",
    "-s",
    "exit-empty",
    "off",
    ";",
    "set-option",
    "-g",
    "history-limit",
    String(historyLimit),
    ";",
    "set-option",
    "-g",
    "remain-on-exit",
    "on",
  );
  let pid;
  const kill = () => {
    live.delete(kill);
    spawnSync("tmux", [...base, "kill-server"], { env, stdio: "ignore", timeout: 10_000 });
    if (!pid) return;
    try {
      process.kill(pid, "SIGKILL");
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
    calls: () => calls,
    /** kill-server, errors ignored (the server may be gone already); then make sure the pid is gone. */
    kill,
  };
}

/** Kill functions of the servers started and not yet killed. */
const live = new Set();

/** Kills every tmux server this process started (for signal handlers). */
export function killAllTmux() {
  for (const kill of [...live]) kill();
}

/** Polls `check` (async, true ends) until it succeeds; throws after `timeoutMs`. `intervalMs` 0 polls back-to-back. */
export async function pollUntil(check, { timeoutMs, intervalMs = 0, what }) {
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    polls++;
    const result = await check();
    if (result) return { result, polls };
    if (Date.now() > deadline) throw new Error(`tmux: gave up after ${timeoutMs} ms waiting for ${what}`);
    if (intervalMs > 0) await new Promise((resolveTimer) => setTimeout(resolveTimer, intervalMs));
  }
}
