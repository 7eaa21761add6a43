// tmux timed by its own clocks instead of a polling client: a new pane's first %output, and a wait-for channel
// that the pane's command signals when it is done.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { now, OwnClock } from "./sampling.mjs";
import { showsText } from "./tmux-control.mjs";
import { pollUntil } from "./tmux-server.mjs";
import { PANE_ENV } from "./workspace.mjs";

/**
 * A tmux session `session` whose first window runs `sleep` (no output), with a control client on it.
 * `newWindow(argv)` (one tmux client process, as tmux-mcp) and `newWindowControl(argv)` (over the control
 * connection) start `argv` in a new window and are timed until that pane's first visible output (an OwnClock);
 * then, untimed, the screen must show it and the pane is killed.
 * @param {import("./tmux-server.mjs").TmuxServer} tm
 * @param {string} session
 * @param {{ cols: number, rows: number, cwd: string }} shape
 */
export async function spawnSession(tm, session, shape) {
  await tm.newSession(session, shape, "sleep", "2147483647");
  const client = await tm.control(session);
  /** @param {() => Promise<string>} create Makes the window; resolves with its pane id. */
  const timed = async (create) => {
    const seen = client.next((_pane, text) => showsText(text), 10_000, "a new pane's first output");
    const start = now();
    const pane = await create();
    const first = await seen;
    if (first.pane !== pane)
      throw new Error(`tmux: first output came from ${first.pane}, not the new ${pane}`);
    await pollUntil(async () => /\S/.test(await client.run(["capture-pane", "-p", "-t", pane])), {
      timeoutMs: 10_000,
      what: `the first output on tmux's screen (${pane})`,
    });
    await client.run(["kill-pane", "-t", pane]);
    return new OwnClock(first.at - start);
  };
  const args = ["new-window", "-d", "-P", "-F", "#{pane_id}", "-t", `${session}:`, "-c", shape.cwd];
  return {
    /** @param {string[]} argv */
    newWindow: (argv) => timed(() => tm.newWindow(session, shape.cwd, ...argv)),
    /** @param {string[]} argv */
    newWindowControl: (argv) => timed(async () => (await client.run([...args, ...argv])).trim()),
    async close() {
      await client.close();
      await tm.run("kill-session", "-t", session);
    },
  };
}

let channels = 0;

/**
 * Runs the shell command `command` in a new window of `session` followed by `tmux wait-for -S` on a fresh channel,
 * while this process waits in `tmux wait-for` on it: resolves with the ms from the new-window call until that
 * returns, and the pane, which stays (its shell then sleeps) until the caller kills it.
 * @param {import("./tmux-server.mjs").TmuxServer} tm
 * @param {string} session
 * @param {string} cwd
 * @param {string} command
 */
export async function untilSignalled(tm, session, cwd, command) {
  const channel = `bench-${process.pid}-${++channels}`;
  const script = `${command}; tmux -S "$0" wait-for -S "$1"; exec sleep 3600`;
  // Started first: a signal that comes before anyone waits is kept for the first waiter, so no order is lost.
  const waiter = spawn("tmux", ["-S", tm.sock, "wait-for", channel], { env: PANE_ENV, stdio: "ignore" });
  const waited = once(waiter, "exit");
  const start = now();
  const pane = await tm.newWindow(session, cwd, "sh", "-c", script, tm.sock, channel);
  const [code] = await waited;
  const ms = now() - start;
  if (code !== 0) throw new Error(`tmux wait-for ${channel} exited ${code}`);
  return { ms, pane };
}
