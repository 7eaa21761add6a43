#!/usr/bin/env node
// Keystroke→visible through `tmux attach` against the floor (`cat` straight in the outer terminal), on their own:
// see bench/harness/outer-terminal.mjs for the method and the drivers; the full bench measures `ccmux attach
// --write` beside them (`node bench/run.mjs --only attach`).
//
//   node bench/attach-latency.mjs [--samples N] [--driver events|control|exec]   the floor and the tmux peer, as JSON
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { keystrokeToVisible, tmuxAttachPeer } from "./harness/outer-terminal.mjs";
import { median, percentile, round } from "./harness/stats.mjs";

const { values } = parseArgs({
  options: { samples: { type: "string", default: "200" }, driver: { type: "string", default: "events" } },
});
const driver = values.driver;
if (driver !== "events" && driver !== "control" && driver !== "exec")
  throw new Error(`--driver: expected events, control or exec, got ${driver}`);
const shape = { cols: 120, rows: 40 };
const samples = Number(values.samples) / 2;
const results = { floor: /** @type {number[]} */ ([]), tmux: /** @type {number[]} */ ([]) };
for (let round = 0; round < 2; round++) {
  results.floor.push(...(await keystrokeToVisible({ attachArgv: ["cat"], samples, driver, ...shape })));
  const peer = await tmuxAttachPeer(shape);
  try {
    results.tmux.push(
      ...(await keystrokeToVisible({ attachArgv: peer.attachArgv, samples, driver, ...shape })),
    );
  } finally {
    peer.kill();
  }
}
/** @param {number[]} ms */
const summary = (ms) => ({
  median: round(median(ms), 3),
  p90: round(percentile(ms, 90), 3),
  p99: round(percentile(ms, 99), 3),
  n: ms.length,
});
const floor = summary(results.floor);
const tmuxAttach = summary(results.tmux);
const report = {
  tmux: spawnSync("tmux", ["-V"], { encoding: "utf8" }).stdout.trim(),
  driver,
  loadavg: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
  floor,
  tmuxAttach,
  tmuxAdds: round(tmuxAttach.median - floor.median, 3),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
