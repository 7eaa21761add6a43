// Reconnect to the daemon: a fresh `serve --daemon --session S` + initialize + the first list_panes, which must
// list the session's live panes; against starting embedded `serve` + initialize + its first (empty) list_panes.
import { MEM_COLS, MEM_ROWS } from "../harness/config.mjs";
import { serve } from "../harness/mcp-server.mjs";
import { latency, peer, row } from "../harness/rows.mjs";
import { eachRun, now } from "../harness/sampling.mjs";
import { median } from "../harness/stats.mjs";

/** Live panes in the session a bridge reconnects to. */
const PANES = 16;

/**
 * Starts a server with `start`, lists its panes and checks them: the time to initialize and to the list.
 * @param {() => Promise<import("../harness/mcp-server.mjs").Server>} start
 * @param {(panes: Array<{ pane: string, alive: boolean }>) => void} check
 */
async function startAndList(start, check) {
  const began = now();
  const server = await start();
  const init = now() - began;
  try {
    const listed = await server.ok("list_panes");
    const total = now() - began;
    check(listed.panes);
    return { server, init, total };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "reconnect",
  title: "Reconnect to a daemon session",
  uses: ["daemon"],
  method: `A fresh bridge process (\`serve --daemon --session S\`, the daemon running) + MCP initialize + the first
\`list_panes\`, which must list the session's ${PANES} live \`cat\` panes; its peer starts an embedded \`serve\` +
initialize + its first (empty) \`list_panes\`. The two alternate; each is timed by the client from the process
start to the list's answer.`,
  async run(ctx) {
    const { daemon } = await ctx.daemon();
    const setup = await daemon.connect("reconnect");
    const ids = new Set();
    for (let i = 0; i < PANES; i++)
      ids.add((await setup.spawn({ command: "cat", cols: MEM_COLS, rows: MEM_ROWS })).pane);
    await setup.detach();
    /** @param {Array<{ pane: string, alive: boolean }>} panes */
    const allLive = (panes) => {
      const live = panes.filter((p) => ids.has(p.pane) && p.alive).length;
      if (live !== PANES)
        throw new Error(`reconnect: list_panes shows ${live} of the session's ${PANES} live panes`);
    };
    /** @param {Array<{ pane: string }>} panes */
    const none = (panes) => {
      if (panes.length !== 0)
        throw new Error(`reconnect: a fresh embedded serve lists ${panes.length} panes`);
    };
    const runs = await eachRun(ctx.runs, async () => {
      const bridged = { total: /** @type {number[]} */ ([]), init: /** @type {number[]} */ ([]) };
      const embedded = { total: /** @type {number[]} */ ([]), init: /** @type {number[]} */ ([]) };
      for (let i = -1; i < ctx.config.reconnects; i++) {
        const b = await startAndList(() => daemon.connect("reconnect", { listTools: false }), allLive);
        await b.server.detach();
        const e = await startAndList(() => serve(ctx.ws, { listTools: false }), none);
        await e.server.close();
        if (i < 0) continue;
        bridged.total.push(b.total);
        bridged.init.push(b.init);
        embedded.total.push(e.total);
        embedded.init.push(e.init);
      }
      return { bridged, embedded };
    });
    // The session's panes live as long as the daemon: kill them, so later workloads see a daemon without them.
    const cleanup = await daemon.connect("reconnect", { listTools: false });
    for (const pane of ids) cleanup.panes.add(pane);
    await cleanup.close();
    /** @param {number[][]} inits */
    const initNote = (inits) =>
      `initialize answered at ${Math.round(median(inits.flat()))} ms (median of all)`;
    const bridged = latency(
      runs.map((r) => r.bridged.total),
      `a fresh bridge each time; ${initNote(runs.map((r) => r.bridged.init))}`,
    );
    const embedded = latency(
      runs.map((r) => r.embedded.total),
      `alternating with the bridge; ${initNote(runs.map((r) => r.embedded.init))}`,
    );
    return [
      row({
        id: "reconnect-daemon",
        title: `reconnect: a fresh bridge + initialize + list_panes of ${PANES} live panes`,
        unit: "ms",
        better: "lower",
        ccmux: bridged,
        peers: [peer("start embedded serve + initialize + list_panes", embedded, bridged)],
      }),
    ];
  },
};
