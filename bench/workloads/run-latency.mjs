// `run` against spawn + wait_for (issue 14): running `true` and getting its exit status over MCP, as an agent
// does; and `run {pane, command}` in a validated shell (bash, and zsh where zsh and ccmux's module are installed).
import { existsSync } from "node:fs";
import { serve } from "../harness/mcp-server.mjs";
import { latency, peer, row } from "../harness/rows.mjs";
import { eachRun, interleave, now, OwnClock, samplesOf } from "../harness/sampling.mjs";
import { makeWorkspace } from "../harness/workspace.mjs";

/** zsh and ccmux's zsh module (built where zsh-dev is installed). */
const HAS_ZSH =
  existsSync("/usr/bin/zsh") &&
  existsSync(new URL("../../build/Release/zsh/ccmux_shell.so", import.meta.url));

/**
 * A server with `sandbox.mode` `sandbox` and a validated bash (and zsh) pane in it. `measure({ n, warmup, turn })`
 * times each way `n` times, the ways taking turns one call at a time, and resolves with each way's samples (ms);
 * each pane `spawn` or `run {command}` made is killed after its sample, untimed.
 * @param {"required" | "off"} sandbox
 */
export async function runLatencyServer(sandbox) {
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
  const { pane: bash } = await srv.spawn({ command: "bash --norc --noprofile" });
  const zsh = HAS_ZSH ? (await srv.spawn({ command: "zsh -f" })).pane : undefined;
  /** @param {{ exitCode: number | null }} result @param {string} what */
  const exitedZero = (result, what) => {
    if (result.exitCode !== 0) throw new Error(`${what}: ${JSON.stringify(result)}`);
  };
  /** @param {string} pane @param {string} what */
  const shellRun = (pane, what) => async () =>
    exitedZero(await srv.ok("run", { pane, command: "true" }), what);
  /**
   * A way that starts a pane: timed until its answer; the pane is killed afterwards, untimed (exited panes would
   * otherwise pile up to maxExitedPanes).
   * @param {() => Promise<{ pane: string, exitCode: number | null }>} way
   * @param {string} what
   */
  const ofPane = (way, what) => async () => {
    const start = now();
    const result = await way();
    const ms = now() - start;
    exitedZero(result, what);
    await srv.ok("kill_pane", { pane: result.pane });
    return new OwnClock(ms);
  };
  const ways = {
    spawnWait: ofPane(async () => {
      const { pane } = await srv.ok("spawn", { command: "true" });
      const waited = await srv.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
      return { pane, exitCode: waited.exitCode };
    }, "spawn + wait_for true"),
    run: ofPane(() => srv.ok("run", { command: "true" }), "run true"),
    shellRun: shellRun(bash, "bash run true"),
    ...(zsh ? { zshRun: shellRun(zsh, "zsh run true") } : {}),
  };
  return {
    sandbox,
    /** @param {{ n: number, warmup: number, turn?: number }} options */
    measure: ({ n, warmup, turn = 0 }) => interleave(ways, { n, block: 1, warmup, turn }),
    async close() {
      await srv.close();
      ws.cleanup();
    },
  };
}

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "run-latency",
  title: "`run` and validated shells",
  uses: [],
  method: `\`true\` run and its exit status read, over MCP stdio, each call timed by the client from its first request
to its last answer: \`spawn\` + \`wait_for {exit: true}\` (2 calls), \`run {command: "true"}\` (1 call), and
\`run {pane, command: "true"}\` in a validated bash${HAS_ZSH ? " and a validated zsh" : ""} (no new pane). One server
with \`sandbox.mode: required\` and one with \`off\`; in each, the ways take turns call by call; a pane a call
started is killed after its sample, untimed.`,
  async run(ctx) {
    const servers = [await runLatencyServer("required"), await runLatencyServer("off")];
    try {
      const options = { n: ctx.config.runCalls, warmup: ctx.config.warmup };
      const runs = await eachRun(ctx.runs, async (turn) => {
        /** @type {Record<string, Awaited<ReturnType<typeof servers[0]["measure"]>>>} */
        const out = {};
        for (const server of turn % 2 ? [...servers].reverse() : servers)
          out[server.sandbox] = await server.measure({ ...options, turn });
        return out;
      });
      return servers.flatMap(({ sandbox }) => {
        const of = runs.map((r) => r[sandbox] ?? {});
        const run = latency(samplesOf(of, "run"), "one call");
        const shells = [
          peer("validated bash: run {pane, command}", latency(samplesOf(of, "shellRun")), run),
          ...(HAS_ZSH
            ? [peer("validated zsh: run {pane, command}", latency(samplesOf(of, "zshRun")), run)]
            : []),
        ];
        return [
          row({
            id: `run-true-${sandbox}`,
            title: `run {command: "true"}, sandbox ${sandbox}`,
            unit: "ms",
            better: "lower",
            ccmux: run,
            peers: [
              peer("spawn + wait_for {exit: true}", latency(samplesOf(of, "spawnWait"), "two calls"), run),
              ...shells,
            ],
          }),
        ];
      });
    } finally {
      for (const server of servers) await server.close();
    }
  },
};
