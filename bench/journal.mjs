#!/usr/bin/env node
// Pane history across daemon restarts (issue 15), on its own: see bench/workloads/journal.mjs for the method; the
// full bench runs it as `node bench/run.mjs --only journal`.
//
//   node bench/journal.mjs [--mb N] [--rounds N] [--panes N] [--lines N]   prints a JSON summary
import { parseArgs } from "node:util";
import { machineInfo } from "./harness/proc.mjs";
import { figure, round } from "./harness/stats.mjs";
import { journalIngest } from "./workloads/journal.mjs";
import { journalRestart } from "./workloads/journal-restart.mjs";

const { values } = parseArgs({
  options: {
    mb: { type: "string", default: "50" },
    rounds: { type: "string", default: "5" },
    panes: { type: "string", default: "16" },
    lines: { type: "string", default: "10000" },
  },
});
/** @param {number[]} values */
const stat = (values) => {
  const f = figure(values);
  return { median: round(f.median, 2), min: round(f.lo, 2), max: round(f.hi, 2) };
};
const mb = Number(values.mb);
const runs = await journalIngest({ mb, runs: Number(values.rounds) });
const ingest = {
  mb,
  rounds: runs.length,
  onMBs: stat(runs.map((r) => r.on)),
  offMBs: stat(runs.map((r) => r.off)),
  onOverOff: stat(runs.map((r) => r.on / r.off)),
};
const panes = Number(values.panes);
const restart = await journalRestart({ panes, lines: Number(values.lines) });
const summary = {
  panes,
  linesPerPane: Number(values.lines),
  daemonRestoreMs: restart.restoreMs,
  connectAndListMs: Math.round(restart.listMs),
  untilEveryPaneReadMs: Math.round(restart.readMs),
};
process.stdout.write(
  `${JSON.stringify({ machine: machineInfo(null), ingest, restart: summary }, null, 2)}\n`,
);
