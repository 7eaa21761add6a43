#!/usr/bin/env node
// `run` against spawn + wait_for (issue 14), on its own: see bench/workloads/run-latency.mjs for the method; the
// full bench runs it as `node bench/run.mjs --only run-latency`.
//
//   node bench/run-latency.mjs [--samples N] [--sandbox required|off]   prints a JSON summary
import { parseArgs } from "node:util";
import { machineInfo } from "./harness/proc.mjs";
import { median, percentile, round } from "./harness/stats.mjs";
import { runLatencyServer } from "./workloads/run-latency.mjs";

const { values } = parseArgs({
  options: { samples: { type: "string", default: "100" }, sandbox: { type: "string", default: "required" } },
});
if (values.sandbox !== "required" && values.sandbox !== "off")
  throw new Error(`--sandbox: expected required or off, got ${values.sandbox}`);
const server = await runLatencyServer(values.sandbox);
try {
  const samples = await server.measure({ n: Number(values.samples), warmup: 10 });
  /** @param {number[]} ms */
  const summary = (ms) => ({ median: round(median(ms), 2), p99: round(percentile(ms, 99), 2), n: ms.length });
  const ways = Object.fromEntries(Object.entries(samples).map(([name, ms]) => [name, summary(ms ?? [])]));
  process.stdout.write(
    `${JSON.stringify({ machine: machineInfo(null), sandbox: values.sandbox, ...ways }, null, 2)}\n`,
  );
} finally {
  await server.close();
}
