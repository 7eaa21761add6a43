// Memory of the embedded server: RSS with no panes, then with 10, 50 and 100 exited panes each holding a full
// 10 000-line history; a tmux server with the same panes as the peer. Fresh servers in every run.
import { join } from "node:path";
import { MEM_COLS, MEM_LINES, MEM_ROWS, SCROLLBACK } from "../harness/config.mjs";
import { ccmuxHistoryPanes, tmuxHistoryPanes } from "../harness/history-panes.mjs";
import { serve } from "../harness/mcp-server.mjs";
import { memoryOf } from "../harness/proc.mjs";
import { peer, perRun, row } from "../harness/rows.mjs";
import { eachRun } from "../harness/sampling.mjs";
import { median, round } from "../harness/stats.mjs";
import { startTmux } from "../harness/tmux-server.mjs";

/**
 * One side's RSS (MiB) with no panes and at each count, and the lines the newest pane held at each.
 * @typedef {{ idle: number, at: Map<number, { rss: number, hwm: number, held: number }> }} Side
 */

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "memory",
  title: "Memory: embedded server with pane histories",
  uses: [],
  method: `A fresh embedded \`serve\` in each run: its RSS (VmRSS) after a first \`list_panes\`, then after spawning
panes that each print ${MEM_LINES} lines of ${MEM_COLS} columns (more than the ${SCROLLBACK}-line scrollback) in
an ${MEM_COLS}×${MEM_ROWS} pane and exit, up to each pane count in turn (exited panes are kept with their history;
\`list_panes\` must still list them all, and the newest must hold its history). The peer is a fresh tmux server
(\`history-limit ${SCROLLBACK}\`) with the same panes, one window each, measured the same way.`,
  async run(ctx) {
    const counts = ctx.config.memCounts;
    await ctx.file("mem.txt");
    const runs = await eachRun(ctx.runs, async (run) => {
      /** @type {Side} */
      const ccmux = { idle: 0, at: new Map() };
      const srv = await serve(ctx.ws);
      try {
        await srv.ok("list_panes");
        ccmux.idle = memoryOf(srv.pid).rss;
        /** @type {string[]} */
        const panes = [];
        for (const count of counts) {
          const held = await ccmuxHistoryPanes(srv, panes, count);
          ccmux.at.set(count, { ...memoryOf(srv.pid), held });
        }
      } finally {
        await srv.close();
      }
      if (!ctx.tmuxAvailable) return { ccmux, tmux: null };
      /** @type {Side} */
      const tmux = { idle: 0, at: new Map() };
      const tm = await startTmux(join(ctx.ws.dir, `memory-${run}`), { historyLimit: SCROLLBACK });
      try {
        tmux.idle = memoryOf(tm.pid).rss;
        /** @type {string[]} */
        const panes = [];
        for (const count of counts) {
          const held = await tmuxHistoryPanes(tm, "mem", panes, count, ctx.ws.root);
          tmux.at.set(count, { ...memoryOf(tm.pid), held });
        }
      } finally {
        tm.kill();
      }
      ctx.log(
        `  memory run ${run + 1}: ccmux ${round(ccmux.at.get(counts.at(-1) ?? 0)?.rss ?? 0, 1)} MiB, tmux ${round(tmux.at.get(counts.at(-1) ?? 0)?.rss ?? 0, 1)} MiB`,
      );
      return { ccmux, tmux };
    });
    /** @param {Side} side @param {number} count */
    const at = (side, count) => {
      const value = side.at.get(count);
      if (!value) throw new Error(`memory: no reading at ${count} panes`);
      return value;
    };
    /** @param {Side[]} sides @param {number} count MiB per pane over idle, and the lines the newest held. */
    const notes = (sides, count) =>
      `${round(median(sides.map((s) => (at(s, count).rss - s.idle) / count)), 2)} MiB/pane over idle; the newest pane held ${median(sides.map((s) => at(s, count).held))} lines`;
    const ccmuxSides = runs.map((r) => r.ccmux);
    const tmuxSides = runs.flatMap((r) => (r.tmux ? [r.tmux] : []));
    const idle = perRun(
      ccmuxSides.map((s) => s.idle),
      "after the first list_panes",
    );
    const rows = [
      row({
        id: "memory-idle",
        title: "server RSS, no panes",
        unit: "MiB",
        better: "lower",
        ccmux: idle,
        peers: tmuxSides.length ? [peer("tmux server", perRun(tmuxSides.map((s) => s.idle)), idle)] : [],
      }),
    ];
    for (const count of counts) {
      const ccmux = perRun(
        ccmuxSides.map((s) => at(s, count).rss),
        `${notes(ccmuxSides, count)}; peak (VmHWM) ${round(median(ccmuxSides.map((s) => at(s, count).hwm)), 1)} MiB`,
      );
      const tmux = tmuxSides.length
        ? [
            peer(
              "tmux server",
              perRun(
                tmuxSides.map((s) => at(s, count).rss),
                notes(tmuxSides, count),
              ),
              ccmux,
            ),
          ]
        : [];
      rows.push(
        row({
          id: `memory-${count}`,
          title: `server RSS, ${count} panes × ${SCROLLBACK} lines of history (${MEM_COLS}×${MEM_ROWS})`,
          unit: "MiB",
          better: "lower",
          ccmux,
          peers: tmux,
        }),
      );
    }
    return rows;
  },
};
