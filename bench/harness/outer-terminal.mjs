// Keystroke→visible through an attach program (issue 13): an outer tmux on a private socket stands for the
// person's terminal and runs the attach program in a window; each sample types one printable character into that
// window with send-keys and times it until the character reaches the window. The peer is `tmux attach` to a second
// private tmux server whose pane runs `cat`; the floor is `cat` straight in the outer window (no attach).
//
// Clocks (`driver`):
// - events (default): a control-mode client attached to the measured session (it never sizes the window) gets
//   tmux's `%output` the moment the window's program writes; the sample ends at the first output holding the
//   character. Nothing polls; a capture afterwards, untimed, checks the character shows.
// - control: polls capture-pane through a control-mode client until the character shows (the poller and the tmux
//   server answering it keep both cores busy, which slows the multi-process paths more).
// - exec: the same with one `tmux` process per command (~3 ms each, which dilutes the ratio toward 1).
import { execFile, spawnSync } from "node:child_process";
import { lstatSync, unlinkSync } from "node:fs";
import { promisify } from "node:util";
import { now } from "./sampling.mjs";
import { controlClient } from "./tmux-control.mjs";
import { PANE_ENV } from "./workspace.mjs";

const execFileAsync = promisify(execFile);
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const rand = () => Math.random().toString(36).slice(2, 10);

/** @typedef {"events" | "control" | "exec"} Driver */

/**
 * Samples (ms, in order) of keystroke→visible through `attachArgv`: the program the outer terminal runs, which must
 * forward typing to a pane that echoes it in cooked mode (`cat`): `tmux -L S attach -t T`, `ccmux attach --write
 * PANE`, or `["cat"]` itself for the floor. Anything but the floor must turn the outer tty's echo off (raw mode,
 * as an attach does), or the run is refused. `env` is added to PANE_ENV. The first of `warmup` unrecorded samples
 * also waits up to `startTimeoutMs` for the attach to come up; every `lineLength` characters an unrecorded Enter
 * starts a new line. Rejects when a character does not show within `timeoutMs`, with the last screen.
 * @param {{ attachArgv: string[], env?: Record<string, string>, samples: number, warmup?: number, cols: number,
 *   rows: number, lineLength?: number, driver?: Driver, timeoutMs?: number, startTimeoutMs?: number }} options
 */
export async function keystrokeToVisible(options) {
  const {
    attachArgv,
    env = {},
    samples,
    warmup = 10,
    cols,
    rows,
    lineLength = 30,
    driver = "events",
  } = options;
  const { timeoutMs = 10_000, startTimeoutMs = 30_000 } = options;
  const outer = await startServer(`ccmux-bench-outer-${process.pid}-${rand()}`, { ...PANE_ENV, ...env }, [
    ["set-option", "-s", "escape-time", "0"],
    ["set-option", "-g", "default-terminal", "tmux-256color"],
    ["set-option", "-g", "status", "off"],
    ["new-session", "-d", "-s", "bench", "-x", String(cols), "-y", String(rows), "--", ...attachArgv],
    ["new-session", "-d", "-s", "ctl", "-x", "20", "-y", "5", "--", "sleep", "2147483647"],
  ]);
  const socket = ["-L", outer.socket];
  const commands = driver === "exec" ? null : await controlClient({ socket, env: outer.env, session: "ctl" });
  /** @param {string[]} args */
  const run = (args) =>
    commands
      ? commands.run(args)
      : execFileAsync("tmux", [...socket, ...args], { env: outer.env }).then((r) => r.stdout);
  const watch =
    driver === "events" ? await controlClient({ socket, env: outer.env, session: "bench" }) : null;
  try {
    const capture = () => run(["capture-pane", "-p", "-t", "bench:0.0"]);
    /** @param {string} screen @param {string} line @param {number} [times] */
    const shows = (screen, line, times = 1) =>
      screen.split("\n").filter((row) => row.trimEnd() === line).length >= times;
    let typed = "";
    /** @param {number} limitMs */
    const one = async (limitMs) => {
      if (typed.length >= lineLength) {
        const line = typed;
        typed = "";
        await run(["send-keys", "-t", "bench:0.0", "Enter"]);
        // cat prints the line back: the echo and cat's copy both show, and the next line starts empty
        await waitFor(capture, (screen) => shows(screen, line, 2), limitMs, `cat's copy of ${line}`);
      }
      const ch = ALPHABET[Math.floor(Math.random() * ALPHABET.length)] ?? "x";
      typed += ch;
      const shown = watch?.next((_pane, text) => text.includes(ch), limitMs, `the typed ${ch}`);
      const start = now();
      await run(["send-keys", "-t", "bench:0.0", "-l", ch]);
      const at = shown ? (await shown).at : undefined;
      await waitFor(capture, (screen) => shows(screen, typed), limitMs, `typed line ${typed}`);
      return (at ?? now()) - start;
    };
    // An attach program puts its terminal in raw mode; until it has, the kernel echoes each character at once:
    // wait for that (the attach is up) before typing, and refuse a program that never does, which would time
    // nothing but the floor. The floor itself is `cat` on an echoing tty.
    const floor = attachArgv.length === 1 && attachArgv[0] === "cat";
    const tty = (await run(["display-message", "-p", "-t", "bench:0.0", "#{pane_tty}"])).trim();
    const echoing = () =>
      / echo /.test(
        ` ${spawnSync("stty", ["-F", tty, "-a"], { encoding: "utf8" }).stdout.replace(/\n/g, " ")} `,
      );
    const deadline = now() + startTimeoutMs;
    while (!floor && echoing()) {
      if (now() > deadline)
        throw new Error(`attach-latency: ${attachArgv.join(" ")} left its terminal (${tty}) echoing`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (let i = 0; i < warmup; i++) await one(i === 0 ? startTimeoutMs : timeoutMs);
    if (echoing() !== floor)
      throw new Error(`attach-latency: ${tty} ${floor ? "raw under cat" : "echoing again"}`);
    /** @type {number[]} */
    const out = [];
    for (let i = 0; i < samples; i++) out.push(await one(timeoutMs));
    return out;
  } finally {
    await watch?.close();
    await commands?.close();
    outer.kill();
  }
}

/**
 * The peer: a private tmux server whose session runs `cat` (status line on, as a person has it), and the argv that
 * attaches to it. `kill()` ends the server.
 * @param {{ cols: number, rows: number }} shape
 */
export async function tmuxAttachPeer({ cols, rows }) {
  const inner = await startServer(`ccmux-bench-inner-${process.pid}-${rand()}`, PANE_ENV, [
    ["new-session", "-d", "-s", "peer", "-x", String(cols), "-y", String(rows), "--", "cat"],
  ]);
  return { attachArgv: ["tmux", "-L", inner.socket, "attach", "-t", "peer"], kill: inner.kill };
}

/**
 * Polls `capture` until `test(screen)` (untimed checks only); rejects after `limitMs` with the last screen.
 * @param {() => Promise<string>} capture
 * @param {(screen: string) => boolean} test
 * @param {number} limitMs
 * @param {string} what
 */
async function waitFor(capture, test, limitMs, what) {
  const deadline = now() + limitMs;
  for (;;) {
    const screen = await capture();
    if (test(screen)) return;
    if (now() > deadline)
      throw new Error(`attach-latency: no ${what} after ${limitMs} ms; screen:\n${screen}`);
  }
}

/**
 * A private tmux server (`-L socket -f /dev/null`, exit-empty off) set up by `commands`; `kill()` ends it.
 * @param {string} socket
 * @param {Record<string, string>} env
 * @param {string[][]} commands
 */
async function startServer(socket, env, commands) {
  const all = [["start-server"], ["set-option", "-s", "exit-empty", "off"], ...commands];
  const args = ["-L", socket, "-f", "/dev/null", ...all.flatMap((c, i) => (i ? [";", ...c] : c))];
  const kill = () => {
    const path = spawnSync("tmux", ["-L", socket, "display-message", "-p", "#{socket_path}"], {
      env,
      encoding: "utf8",
    });
    spawnSync("tmux", ["-L", socket, "kill-server"], { env, stdio: "ignore" });
    try {
      const file = path.stdout?.trim();
      if (file && lstatSync(file).isSocket()) unlinkSync(file); // tmux 3.3a leaves it behind
    } catch {
      // gone
    }
  };
  try {
    await execFileAsync("tmux", [...args, ";", "display-message", "-p", "#{pid}"], { env });
  } catch (error) {
    kill();
    throw new Error(`attach-latency: tmux failed to start: ${error}`);
  }
  return { socket, env, kill };
}
