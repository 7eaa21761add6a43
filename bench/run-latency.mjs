#!/usr/bin/env node
// `run` against spawn + wait_for (issue 14): the round trip of running `true` and getting its exit status, over
// MCP stdio against the built CLI, as an agent calls it; and `run {pane, command}` in a validated shell. Each
// sample is timed by this client's clock from the first request sent to the last answer read; the ways (and
// `run` in a validated zsh, where zsh and ccmux's zsh module are installed) alternate within a round, in the same
// server, so they share the machine's state.
//
//   node bench/run-latency.mjs [--samples N] [--sandbox required|off]   prints a JSON summary
import { existsSync } from "node:fs";
import { machineInfo, makeWorkspace, median, now, percentile, serve } from "./support.mjs";

/** zsh and ccmux's zsh module (built where zsh-dev is installed). */
const HAS_ZSH =
  existsSync("/usr/bin/zsh") && existsSync(new URL("../build/Release/zsh/ccmux_shell.so", import.meta.url));

/** Median and p99 (nearest rank) in ms of each way, `samples` each after `warmup`; `sandbox` the policy's mode. */
export async function benchRunLatency({ samples = 100, warmup = 10, sandbox = "required" } = {}) {
  const ws = makeWorkspace({
    commands: [
      { command: "true" },
      { command: "bash", args: ["--norc --noprofile"], input: "validated" },
      ...(HAS_ZSH ? [{ command: "zsh", args: ["-f"], input: "validated" }] : []),
    ],
    env: { pass: ["PATH", "HOME", "LANG"], passSecrets: [], fromAgent: [] },
    limits: { callsPerMinute: 100_000, burst: 100_000, maxPanes: 64, maxExitedPanes: 64 },
    sandbox: { mode: sandbox },
  });
  const srv = await serve(ws);
  const times = { spawnWait: [], run: [], shellRun: [], ...(HAS_ZSH ? { zshRun: [] } : {}) };
  try {
    const { pane: shell } = await srv.spawn({ command: "bash --norc --noprofile" });
    const zsh = HAS_ZSH ? (await srv.spawn({ command: "zsh -f" })).pane : undefined;
    const ways = {
      spawnWait: async () => {
        const { pane } = await srv.ok("spawn", { command: "true" });
        const waited = await srv.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
        if (waited.exitCode !== 0) throw new Error(`true exited ${waited.exitCode}`);
        return pane;
      },
      run: async () => {
        const ran = await srv.ok("run", { command: "true" });
        if (ran.exitCode !== 0) throw new Error(`run true: ${JSON.stringify(ran)}`);
        return ran.pane;
      },
      shellRun: async () => {
        const ran = await srv.ok("run", { pane: shell, command: "true" });
        if (ran.exitCode !== 0) throw new Error(`shell run true: ${JSON.stringify(ran)}`);
        return undefined;
      },
      ...(zsh
        ? {
            zshRun: async () => {
              const ran = await srv.ok("run", { pane: zsh, command: "true" });
              if (ran.exitCode !== 0) throw new Error(`zsh run true: ${JSON.stringify(ran)}`);
              return undefined;
            },
          }
        : {}),
    };
    for (let round = -warmup; round < samples; round++) {
      for (const [name, way] of Object.entries(ways)) {
        const start = now();
        const pane = await way();
        const ms = now() - start;
        if (round >= 0) times[name].push(ms);
        // Kept out of the timing: exited panes would otherwise pile up to maxExitedPanes.
        if (pane !== undefined) await srv.ok("kill_pane", { pane });
      }
    }
  } finally {
    await srv.close();
    ws.cleanup();
  }
  const summary = (values) => ({
    median: Math.round(median(values) * 100) / 100,
    p99: Math.round(percentile(values, 99) * 100) / 100,
    n: values.length,
  });
  return {
    sandbox,
    spawnWait: summary(times.spawnWait),
    run: summary(times.run),
    shellRun: summary(times.shellRun),
    ...(times.zshRun ? { zshRun: summary(times.zshRun) } : {}),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const option = (flag, fallback) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : fallback);
  const result = await benchRunLatency({
    samples: Number(option("--samples", "100")),
    sandbox: option("--sandbox", "required"),
  });
  process.stdout.write(`${JSON.stringify({ machine: machineInfo(), ...result }, null, 2)}\n`);
}
