// Memory of the daemon (issue 12) and of its bridge: the daemon's RSS with no panes after a connection closed, and
// with panes that each hold a full 10 000-line history; the bridge's RSS; a tmux server with the same panes.
import { join } from "node:path";
import { benchPolicy, MEM_COLS, MEM_ROWS, SCROLLBACK } from "../harness/config.mjs";
import { daemonFor } from "../harness/daemon.mjs";
import { fig } from "../harness/format.mjs";
import { ccmuxHistoryPanes, tmuxHistoryPanes } from "../harness/history-panes.mjs";
import { memoryOf } from "../harness/proc.mjs";
import { peer, perRun, row } from "../harness/rows.mjs";
import { eachRun } from "../harness/sampling.mjs";
import { median, round } from "../harness/stats.mjs";
import { pollUntil, startTmux } from "../harness/tmux-server.mjs";
import { makeWorkspace } from "../harness/workspace.mjs";

/** The targets (MiB): the daemon with 100 such panes, and each bridge process. */
const DAEMON_TARGET = 300;
const BRIDGE_TARGET = 45;

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "daemon-memory",
  title: "Memory: the daemon and its bridge",
  uses: [],
  method: `A fresh daemon in each run (its own policy file and runtime directory). The bridge's RSS after initialize
and a first \`list_panes\`; the daemon's RSS (its screen thread is a worker in the same process) once that
connection closed and \`ccmux ls\` shows no session; then its RSS after a second bridge spawned panes that each
print ${SCROLLBACK + 2000} lines of ${MEM_COLS} columns in an ${MEM_COLS}×${MEM_ROWS} pane and exit (kept with their
history, checked as in the memory workload). The peer is a fresh tmux server with the same panes.`,
  async run(ctx) {
    const count = ctx.config.daemonPanes;
    const runs = await eachRun(ctx.runs, async (run) => {
      const ws = makeWorkspace(benchPolicy());
      const daemon = daemonFor(ws);
      try {
        await ctx.file("mem.txt", ws);
        const first = await daemon.connect("memory");
        await first.ok("list_panes");
        const bridge = memoryOf(first.pid);
        const pid = daemon.pid();
        await first.close();
        if (pid === undefined) throw new Error("daemon-memory: no daemon pid after the first bridge");
        const sessions = () =>
          JSON.parse(daemon.cli("ls", "--json", "--config", ws.policyPath).stdout || "[]");
        await pollUntil(async () => sessions()[0]?.sessions.length === 0, {
          timeoutMs: 30_000,
          intervalMs: 50,
          what: "the daemon to drop the closed connection",
        });
        const idle = memoryOf(pid);
        const second = await daemon.connect("memory");
        const held = await ccmuxHistoryPanes(second, [], count);
        const full = memoryOf(pid);
        const bridgeFull = memoryOf(second.pid);
        await second.close();
        const tmux = ctx.tmuxAvailable ? await tmuxMemory(join(ws.dir, "tmux"), ws.root, count) : null;
        ctx.log(
          `  daemon-memory run ${run + 1}: daemon ${round(full.rss, 1)} MiB with ${count} panes, bridge ${round(bridge.rss, 1)} MiB`,
        );
        return { bridge, idle, full, bridgeFull, held, tmux };
      } finally {
        daemon.stop();
        ws.cleanup();
      }
    });
    const tmuxRuns = runs.flatMap((r) => (r.tmux ? [r.tmux] : []));
    /** @param {number[]} values @param {import("../harness/rows.mjs").Measure} ccmux @param {string} notes */
    const tmuxPeer = (values, ccmux, notes) =>
      tmuxRuns.length ? [peer("tmux server", perRun(values, notes), ccmux)] : [];
    const idle = perRun(
      runs.map((r) => r.idle.rss),
      `PSS ${round(median(runs.map((r) => r.idle.pss)), 1)} MiB; the daemon process with its screen thread`,
    );
    const full = perRun(
      runs.map((r) => r.full.rss),
      `PSS ${round(median(runs.map((r) => r.full.pss)), 1)} MiB; ${round(median(runs.map((r) => (r.full.rss - r.idle.rss) / count)), 2)} MiB/pane over idle; the newest pane held ${median(runs.map((r) => r.held))} lines`,
    );
    const bridge = perRun(
      runs.map((r) => r.bridge.rss),
      `PSS ${round(median(runs.map((r) => r.bridge.pss)), 1)} MiB; ${round(median(runs.map((r) => r.bridgeFull.rss)), 1)} MiB while its session held the ${count} panes`,
    );
    return [
      row({
        id: "memory-daemon-idle",
        title: "daemon RSS, no panes, after one connection closed",
        unit: "MiB",
        better: "lower",
        ccmux: idle,
        peers: tmuxPeer(
          tmuxRuns.map((t) => t.idle),
          idle,
          "no session",
        ),
      }),
      row({
        id: `memory-daemon-${count}`,
        title: `daemon RSS, ${count} panes × ${SCROLLBACK} lines of history (${MEM_COLS}×${MEM_ROWS})`,
        unit: "MiB",
        better: "lower",
        ccmux: full,
        peers: tmuxPeer(
          tmuxRuns.map((t) => t.full),
          full,
          "the same panes",
        ),
        target:
          count === 100
            ? {
                text: `under ${DAEMON_TARGET} MiB`,
                met: full.median.median < DAEMON_TARGET,
                detail: `${fig(full.median)} MiB`,
              }
            : null,
      }),
      row({
        id: "memory-bridge",
        title: "bridge (`serve --daemon`) RSS after initialize and list_panes",
        unit: "MiB",
        better: "lower",
        ccmux: bridge,
        target: {
          text: `under ${BRIDGE_TARGET} MiB`,
          met: bridge.median.median < BRIDGE_TARGET,
          detail: `${fig(bridge.median)} MiB`,
        },
      }),
    ];
  },
};

/**
 * A fresh tmux server's RSS (MiB) with no session, and with `count` history panes.
 * @param {string} dir
 * @param {string} cwd Where mem.txt is.
 * @param {number} count
 */
async function tmuxMemory(dir, cwd, count) {
  const tm = await startTmux(dir, { historyLimit: SCROLLBACK });
  try {
    const idle = memoryOf(tm.pid).rss;
    await tmuxHistoryPanes(tm, "mem", [], count, cwd);
    return { idle, full: memoryOf(tm.pid).rss };
  } finally {
    tm.kill();
  }
}
