// Pane history kept across daemon restarts (issue 15): what the journal costs ingest, and how long a restart takes
// to bring panes back.
import { join } from "node:path";
import { COLS, ROWS } from "../harness/config.mjs";
import { serve } from "../harness/mcp-server.mjs";
import { peer, perRun, row } from "../harness/rows.mjs";
import { eachRun, now } from "../harness/sampling.mjs";
import { makeWorkspace, writeTextFile } from "../harness/workspace.mjs";
import { journalPolicy, journalRestart } from "./journal-restart.mjs";

const MARKER = "JOURNAL-BENCH-END";

/**
 * Ingest MB/s of `cat` of `mb` MB until it exits, with persist.scrollback on and off: one server each, one cat of
 * each per run, in alternating order.
 * @param {{ mb: number, runs: number }} options
 */
export async function journalIngest({ mb, runs }) {
  /** @type {Array<{ kept: boolean, ws: import("../harness/workspace.mjs").Workspace, bytes: number, srv: import("../harness/mcp-server.mjs").Server }>} */
  const sides = [];
  try {
    for (const kept of [true, false]) {
      const ws = makeWorkspace(journalPolicy(kept));
      const bytes = await writeTextFile(join(ws.root, "big.txt"), {
        lines: Math.round((mb * 1e6) / 76),
        width: 75,
        last: MARKER,
      });
      sides.push({ kept, ws, bytes, srv: await serve(ws) });
    }
    return await eachRun(runs, async (run) => {
      /** @type {{ on: number, off: number }} */
      const rates = { on: 0, off: 0 };
      for (const { kept, srv, bytes } of run % 2 ? [...sides].reverse() : sides) {
        const start = now();
        const { pane } = await srv.spawn({ command: "cat big.txt", cols: COLS, rows: ROWS });
        const waited = await srv.ok(
          "wait_for",
          { pane, exit: true, timeout_ms: 300_000 },
          { timeout: 330_000 },
        );
        const ms = now() - start;
        if (waited.exitCode !== 0) throw new Error(`journal: cat exited ${waited.exitCode}`);
        if (!(await srv.ok("read_pane", { pane })).text.includes(MARKER))
          throw new Error("journal: the end marker is not on the screen");
        await srv.kill(pane);
        rates[kept ? "on" : "off"] = bytes / 1e6 / (ms / 1000);
      }
      return rates;
    });
  } finally {
    for (const { srv, ws } of sides) {
      await srv.close();
      ws.cleanup();
    }
  }
}

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "journal",
  title: "Pane history (journal)",
  uses: [],
  method: `Ingest: \`cat\` of the ingest workload's size until it exits (\`spawn\` + \`wait_for {exit: true}\`, the end
marker then checked on screen) through two servers, \`persist.scrollback\` on and off, once each per run in
alternating order; the ratio on/off is taken within each run. Restart: a daemon holding exited panes of 10 000
lines of 80 columns each is killed with SIGKILL (after an untimed 2 s for the last journal writes); the next
daemon's audit record gives the time it took to read, open and replay them, and the client times a new bridge's
start to its first \`list_panes\` (every pane restored) and to a \`read_pane\` of each (its history's last line).`,
  async run(ctx) {
    const ingest = await journalIngest({ mb: ctx.config.ingestMB, runs: ctx.runs });
    const panes = ctx.config.journalPanes;
    const restarts = await eachRun(ctx.runs, () => journalRestart({ panes, lines: 10_000 }));
    const on = perRun(
      ingest.map((r) => r.on),
      "persist.scrollback on",
    );
    const ms = (/** @type {"restoreMs" | "listMs" | "readMs"} */ key) => restarts.map((r) => r[key]);
    return [
      row({
        id: "journal-ingest",
        title: `ingest with the journal: \`cat\` of ${ctx.config.ingestMB} MB until it exits`,
        unit: "MB/s",
        better: "higher",
        ccmux: on,
        peers: [peer("persist.scrollback off", perRun(ingest.map((r) => r.off)), on)],
      }),
      row({
        id: "journal-restore",
        title: `restart after kill -9: ${panes} panes × 10 000 lines read, opened and replayed in the daemon`,
        unit: "ms",
        better: "lower",
        ccmux: perRun(ms("restoreMs"), "from the daemon's journal audit record"),
      }),
      row({
        id: "journal-list",
        title: "… a new bridge: daemon start, initialize, list_panes",
        unit: "ms",
        better: "lower",
        ccmux: perRun(ms("listMs")),
      }),
      row({
        id: "journal-read",
        title: `… and read_pane of all ${panes}`,
        unit: "ms",
        better: "lower",
        ccmux: perRun(ms("readMs")),
      }),
    ];
  },
};
