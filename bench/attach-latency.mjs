#!/usr/bin/env node
// Keystroke→visible through an attach program (issue 13): an outer tmux, on a private socket, stands for the
// person's terminal and runs the attach program in a window; each sample types one printable character into that
// window with send-keys and times it until the character reaches the window. The peer is `tmux attach` to a second
// private tmux server whose pane runs `cat`; `ccmux attach --write PANE` on a pane running `cat` is measured the
// same way. The floor row (`cat` straight in the outer window, no attach) is the cost both share; the difference
// to it is what each attach path adds.
//
//   node bench/attach-latency.mjs [--samples N] [--driver events|control|exec]   the floor and the tmux peer, as JSON
//
// Clocks (`driver`):
// - events (default): a control-mode client attached to the measured session with ignore-size (it never sizes the
//   window) gets tmux's `%output` notification the moment the window's program writes; the sample ends at the
//   first output holding the character. Nothing polls, so no measuring process competes for the two cores (the
//   rule issue 16 sets for every peer). A capture afterwards, not timed, checks the character shows.
// - control: polls capture-pane through one control-mode client until the character shows: the poller and the
//   tmux server answering it keep both cores busy, which slows the multi-process paths more.
// - exec: one `tmux` process per command (~3 ms each, which dilutes the ratio toward 1).
import { execFile, spawn, spawnSync } from "node:child_process";
import { lstatSync, readFileSync, unlinkSync } from "node:fs";
import { promisify } from "node:util";
import { median, now, percentile } from "./support.mjs";

const execFileAsync = promisify(execFile);
const BASE_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/",
  LANG: "C.UTF-8",
};
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const rand = () => Math.random().toString(36).slice(2, 10);

/**
 * Median, p90 and p99 (nearest rank) of keystroke→visible through `attachArgv`, in ms.
 *
 * `attachArgv`: the program the outer terminal runs; it must forward typing to a pane that echoes it in cooked
 * mode (`cat`): `tmux -L S attach -t T`, `ccmux attach --write PANE`, or `["cat"]` itself for the floor. Anything but
 * the floor must turn the outer tty's echo off (raw mode, as an attach does), or the run is refused.
 * `env`: its environment on top of PATH, HOME, LANG=C.UTF-8 (e.g. XDG_RUNTIME_DIR of a ccmux daemon).
 * `samples` (default 100) recorded after `warmup` (default 10) unrecorded ones, the first of which also waits
 * (up to `startTimeoutMs`, default 30 000) for the attach to come up. Every `lineLength` (default 30) characters an
 * unrecorded Enter starts a new line. `driver`: "events" (default), "control" or "exec", see the file head.
 * Resolves with { median, p90, p99, n, polls (captures per sample, mean), driver, samples (ms, in order) };
 * rejects when a character does not show within `timeoutMs` (default 10 000), with the last screen.
 */
export async function keystrokeToVisible({
  attachArgv,
  env = {},
  samples = 100,
  warmup = 10,
  cols = 120,
  rows = 40,
  lineLength = 30,
  driver = "events",
  timeoutMs = 10_000,
  startTimeoutMs = 30_000,
}) {
  const outer = await startServer(`ccmux-bench-outer-${process.pid}-${rand()}`, { ...BASE_ENV, ...env }, [
    ["set-option", "-s", "escape-time", "0"],
    ["set-option", "-g", "default-terminal", "tmux-256color"],
    ["set-option", "-g", "status", "off"],
    ["new-session", "-d", "-s", "bench", "-x", String(cols), "-y", String(rows), "--", ...attachArgv],
    ["new-session", "-d", "-s", "ctl", "-x", "20", "-y", "5", "--", "sleep", "2147483647"],
  ]);
  const run = driver === "exec" ? execClient(outer) : controlClient(outer, "ctl");
  // The events clock: a second control client on the measured session itself (ignore-size: it never sizes the
  // window), whose %output notifications carry what the window's program writes, as tmux reads it.
  const watch = driver === "events" ? outputWatch(outer, "bench") : undefined;
  try {
    await watch?.ready;
    const capture = () => run(["capture-pane", "-p", "-t", "bench:0.0"]);
    let typed = "";
    let polls = 0;

    const shows = (screen, line, times = 1) =>
      screen.split("\n").filter((row) => row.trimEnd() === line).length >= times;

    const one = async (limitMs) => {
      if (typed.length >= lineLength) {
        const line = typed;
        typed = "";
        await run(["send-keys", "-t", "bench:0.0", "Enter"]);
        // cat prints the line back: the echo and cat's copy both show, and the next line starts empty
        await waitFor(capture, (screen) => shows(screen, line, 2), limitMs, `cat's copy of ${line}`);
      }
      const ch = ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
      typed += ch;
      if (watch) {
        // Timed to the first output that carries the character; the capture afterwards only checks it shows.
        const shown = watch.next(ch, limitMs);
        const start = now();
        await run(["send-keys", "-t", "bench:0.0", "-l", ch]);
        const ms = (await shown) - start;
        const count = await waitFor(
          capture,
          (screen) => shows(screen, typed),
          limitMs,
          `typed line ${typed}`,
        );
        return { ms, count };
      }
      const start = now();
      await run(["send-keys", "-t", "bench:0.0", "-l", ch]);
      const count = await waitFor(capture, (screen) => shows(screen, typed), limitMs, `typed line ${typed}`);
      const ms = now() - start;
      return { ms, count };
    };

    // An attach program puts its terminal in raw mode. Until it has, the kernel echoes each character at once: wait
    // for that (the attach is up) before typing, and refuse a program that never does, which would time nothing
    // but the floor. The floor itself is `cat` on an echoing tty.
    const floor = attachArgv.length === 1 && attachArgv[0] === "cat";
    const tty = (await run(["display-message", "-p", "-t", "bench:0.0", "#{pane_tty}"])).trim();
    const echoing = () =>
      / echo /.test(
        ` ${spawnSync("stty", ["-F", tty, "-a"], { encoding: "utf8" }).stdout.replace(/\n/g, " ")} `,
      );
    if (!floor) {
      const deadline = now() + startTimeoutMs;
      while (echoing()) {
        if (now() > deadline)
          throw new Error(`attach-latency: ${attachArgv.join(" ")} left its terminal (${tty}) echoing`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    for (let i = 0; i < warmup; i++) await one(i === 0 ? startTimeoutMs : timeoutMs);
    if (echoing() !== floor)
      throw new Error(`attach-latency: ${tty} ${floor ? "raw under cat" : "echoing again"}`);
    const out = [];
    for (let i = 0; i < samples; i++) {
      const { ms, count } = await one(timeoutMs);
      out.push(ms);
      polls += count;
    }
    const round = (value) => Math.round(value * 1000) / 1000;
    return {
      median: round(median(out)),
      p90: round(percentile(out, 90)),
      p99: round(percentile(out, 99)),
      n: out.length,
      polls: round(polls / out.length),
      driver,
      samples: out.map(round),
    };
  } finally {
    watch?.close();
    await run.close?.();
    outer.kill();
  }
}

/**
 * The peer: a private tmux server whose session runs `cat` (status line on, as a person has it), and the argv that
 * attaches to it. `kill()` ends the server.
 */
export async function tmuxAttachPeer({ cols = 120, rows = 40 } = {}) {
  const inner = await startServer(`ccmux-bench-inner-${process.pid}-${rand()}`, BASE_ENV, [
    ["new-session", "-d", "-s", "peer", "-x", String(cols), "-y", String(rows), "--", "cat"],
  ]);
  return { attachArgv: ["tmux", "-L", inner.socket, "attach", "-t", "peer"], kill: inner.kill };
}

/** Polls `capture` until `test(screen)`; resolves with the number of captures. Rejects after `limitMs`. */
async function waitFor(capture, test, limitMs, what) {
  const deadline = now() + limitMs;
  for (let count = 1; ; count++) {
    const screen = await capture();
    if (test(screen)) return count;
    if (now() > deadline)
      throw new Error(`attach-latency: no ${what} after ${limitMs} ms; screen:\n${screen}`);
  }
}

/** A private tmux server (`-L socket -f /dev/null`, exit-empty off) set up by `commands`; `kill()` ends it. */
async function startServer(socket, env, commands) {
  const all = [["start-server"], ["set-option", "-s", "exit-empty", "off"], ...commands];
  const args = ["-L", socket, "-f", "/dev/null", ...all.flatMap((c, i) => (i ? [";", ...c] : c))];
  const kill = () => {
    let path;
    try {
      path = spawnSync("tmux", ["-L", socket, "display-message", "-p", "#{socket_path}"], {
        env,
        encoding: "utf8",
      }).stdout.trim();
    } catch {
      // no server
    }
    spawnSync("tmux", ["-L", socket, "kill-server"], { env, stdio: "ignore" });
    try {
      if (path && lstatSync(path).isSocket()) unlinkSync(path); // tmux 3.3a leaves it behind
    } catch {
      // gone
    }
  };
  try {
    await execFileAsync("tmux", [...args, ";", "display-message", "-p", "#{pid}"], { env });
  } catch (error) {
    kill();
    throw new Error(`attach-latency: tmux failed to start: ${error.stderr || error.message}`);
  }
  return { socket, env, kill };
}

/**
 * `tmux -C attach -f ignore-size -t session`, read for `%output %PANE DATA` lines (DATA with bytes below space and
 * backslash as \\ooo). `next(ch, limitMs)` resolves with now() at the first output, from the call on, that holds
 * `ch`; rejects after `limitMs`. A control client gets the output as tmux reads it from the program: the moment a
 * person's terminal receives the bytes, before drawing (which costs every program here the same).
 */
function outputWatch(server, session) {
  const child = spawn("tmux", ["-L", server.socket, "-C", "attach", "-f", "ignore-size", "-t", session], {
    env: server.env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  let waiter = null;
  let rest = "";
  let attached;
  // The attach's own reply (%begin … %end) comes first: output before it would be missed.
  const ready = new Promise((resolve) => {
    attached = resolve;
  });
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    const at = now();
    rest += chunk;
    for (let end = rest.indexOf("\n"); end >= 0; end = rest.indexOf("\n")) {
      const line = rest.slice(0, end);
      rest = rest.slice(end + 1);
      if (line.startsWith("%end ") || line.startsWith("%session-changed ")) attached();
      if (!waiter || !line.startsWith("%output ")) continue;
      const data = line.slice(line.indexOf(" ", "%output ".length) + 1).replace(/\\[0-7]{3}/g, "");
      if (!data.includes(waiter.ch)) continue;
      clearTimeout(waiter.timer);
      waiter.resolve(at);
      waiter = null;
    }
  });
  return {
    ready,
    next(ch, limitMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = null;
          reject(new Error(`attach-latency: no output holding ${ch} within ${limitMs} ms`));
        }, limitMs);
        waiter = { ch, resolve, timer };
      });
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}

/** One `tmux` process per command. */
function execClient(server) {
  return async (args) =>
    (await execFileAsync("tmux", ["-L", server.socket, ...args], { env: server.env, encoding: "utf8" }))
      .stdout;
}

/**
 * One control-mode client (`tmux -C attach -t session`) for every command: each command is a line on its stdin,
 * answered between `%begin` and `%end`/`%error` lines, in order. Notifications (`%output`…) are skipped.
 */
function controlClient(server, session) {
  const child = spawn("tmux", ["-L", server.socket, "-C", "attach", "-t", session], {
    env: server.env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const waiting = [];
  let block = null;
  let rest = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    rest += chunk;
    for (let end = rest.indexOf("\n"); end >= 0; end = rest.indexOf("\n")) {
      const line = rest.slice(0, end);
      rest = rest.slice(end + 1);
      if (block === null) {
        // "%begin TIME NUMBER FLAGS": flags 1 marks a command this client sent (0: the attach itself)
        if (line.startsWith("%begin ")) block = { lines: [], mine: line.endsWith(" 1") };
      } else if (line.startsWith("%end ") || line.startsWith("%error ")) {
        const text = block.lines.length ? `${block.lines.join("\n")}\n` : "";
        const done = block.mine ? waiting.shift() : undefined;
        block = null;
        if (done) line.startsWith("%end ") ? done.resolve(text) : done.reject(new Error(`tmux: ${text}`));
      } else {
        block.lines.push(line);
      }
    }
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.once("exit", () => {
    for (const done of waiting.splice(0)) done.reject(new Error("attach-latency: the control client exited"));
  });
  const quote = (arg) => `'${arg.replaceAll("'", `'\\''`)}'`;
  const run = (args) =>
    new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.stdin.write(`${args.map(quote).join(" ")}\n`);
    });
  run.close = async () => {
    child.stdin.end();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  return run;
}

// Run as a script: the floor and the tmux peer, each `--samples` long, in alternating rounds.
if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const option = (flag, fallback) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : fallback);
  const samples = Number(option("--samples", "200"));
  const driver = option("--driver", "events");
  const rounds = 2;
  const tmuxVersion = spawnSync("tmux", ["-V"], { encoding: "utf8" }).stdout.trim();
  const results = { floor: [], tmux: [] };
  for (let round = 0; round < rounds; round++) {
    results.floor.push(await keystrokeToVisible({ attachArgv: ["cat"], samples: samples / rounds, driver }));
    const peer = await tmuxAttachPeer();
    try {
      results.tmux.push(
        await keystrokeToVisible({ attachArgv: peer.attachArgv, samples: samples / rounds, driver }),
      );
    } finally {
      peer.kill();
    }
  }
  const summary = (runs) => {
    const all = runs.flatMap((r) => r.samples);
    const round3 = (value) => Math.round(value * 1000) / 1000;
    return {
      median: round3(median(all)),
      p90: round3(percentile(all, 90)),
      p99: round3(percentile(all, 99)),
      n: all.length,
      polls: round3(runs.reduce((sum, r) => sum + r.polls, 0) / runs.length),
    };
  };
  const floor = summary(results.floor);
  const tmux = summary(results.tmux);
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  process.stdout.write(
    `${JSON.stringify({ tmux: tmuxVersion, driver, loadavg: load, floor, tmuxAttach: tmux, tmuxAdds: Math.round((tmux.median - floor.median) * 1000) / 1000 }, null, 2)}\n`,
  );
}
