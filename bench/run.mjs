#!/usr/bin/env node
// ccmux benchmark runner: picks workloads (bench/workloads/), runs each against ccmux (the built CLI, over MCP
// stdio) and its peers (tmux, raw node-pty, …), and writes results.json and BENCHMARKS.md from the same data.
//
//   npm run bench                        build, then every workload, 5 runs each; writes bench/results.json and
//                                        BENCHMARKS.md
//   node bench/run.mjs --quick           smoke run: smaller files, fewer samples, 2 runs; writes nothing
//   node bench/run.mjs --only a,b        the named workloads (--list names them); writes nothing unless --out/--md
//   node bench/run.mjs --runs N          runs behind each figure (default 5; 2 with --quick)
//   node bench/run.mjs --out F --md G    write the JSON / the Markdown report there
//   node bench/run.mjs --no-tmux         no tmux columns (tmux is otherwise installed with apt-get when missing)
//
// Progress goes to stderr, the tables to stdout.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { benchConfig } from "./harness/config.mjs";
import { BenchContext } from "./harness/context.mjs";
import { stopAllDaemons } from "./harness/daemon.mjs";
import { machineInfo } from "./harness/proc.mjs";
import { renderConsole, renderMarkdown } from "./harness/report.mjs";
import { now } from "./harness/sampling.mjs";
import { ensureTmux, killAllTmux } from "./harness/tmux-server.mjs";
import { WORKLOADS } from "./workloads/index.mjs";

/** @param {string} line */
const log = (line) => process.stderr.write(`${line}\n`);

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    runs: { type: "string" },
    out: { type: "string" },
    md: { type: "string" },
    "no-tmux": { type: "boolean", default: false },
    list: { type: "boolean", default: false },
  },
});
if (args.list) {
  for (const w of WORKLOADS) process.stdout.write(`${w.name.padEnd(16)} ${w.title}\n`);
  process.exit(0);
}
const names = args.only?.split(",").map((name) => name.trim()) ?? WORKLOADS.map((w) => w.name);
const unknown = names.filter((name) => !WORKLOADS.some((w) => w.name === name));
if (unknown.length > 0)
  throw new Error(
    `--only: expected workload names (${WORKLOADS.map((w) => w.name).join(", ")}), got ${unknown.join(", ")}`,
  );
const selected = WORKLOADS.filter((w) => names.includes(w.name));
const runs = Number(args.runs ?? (args.quick ? 2 : 5));
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs: expected a whole number ≥ 1, got ${args.runs}`);
// A partial or quick run never replaces the committed report unless asked to.
const full = !args.quick && args.only === undefined;
const out = args.out ? resolve(args.out) : full ? resolve(import.meta.dirname, "results.json") : undefined;
const md = args.md ? resolve(args.md) : full ? resolve(import.meta.dirname, "../BENCHMARKS.md") : undefined;

const started = now();
const tmuxInfo = args["no-tmux"] ? { version: null, note: "--no-tmux given" } : ensureTmux(log);
const machine = machineInfo(tmuxInfo.version);
log(
  `ccmux bench: ${machine.cores} × ${machine.cpu}, node ${machine.node}, ${machine.tmux ?? tmuxInfo.note}; ${runs} runs`,
);
const ctx = new BenchContext({
  config: benchConfig({ quick: args.quick, runs }),
  log,
  tmux: tmuxInfo.version !== null,
});
const cleanup = () => {
  killAllTmux();
  stopAllDaemons();
};
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"]))
  process.once(signal, () => {
    cleanup();
    ctx.ws.cleanup();
    process.exit(130);
  });

/** @type {import("./harness/report.mjs").WorkloadResult[]} */
const results = [];
try {
  for (const [index, workload] of selected.entries()) {
    log(`${workload.name}: ${workload.title}...`);
    const began = now();
    const rows = await workload.run(ctx);
    const seconds = Math.round((now() - began) / 100) / 10;
    results.push({ name: workload.name, title: workload.title, method: workload.method, seconds, rows });
    log(`${workload.name}: ${rows.length} rows in ${seconds} s`);
    const later = selected.slice(index + 1);
    for (const resource of workload.uses)
      if (!later.some((w) => w.uses.includes(resource))) await ctx.release(resource);
  }
  const json = {
    generated: new Date().toISOString(),
    quick: args.quick,
    runs,
    seconds: Math.round((now() - started) / 100) / 10,
    machine,
    tmuxNote: tmuxInfo.note,
    config: ctx.config,
    workloads: results,
  };
  process.stdout.write(`\n${renderConsole(json)}`);
  if (out) {
    writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
    log(`wrote ${out}`);
  }
  if (md) {
    writeFileSync(md, renderMarkdown(json));
    log(`wrote ${md}`);
  }
} catch (error) {
  log(`\nBENCH FAILED: ${error instanceof Error ? error.stack : error}`);
  const stderr = ctx.serverStderr();
  if (stderr) log(`--- the shared server's stderr (tail) ---\n${stderr.slice(-4000)}`);
  process.exitCode = 1;
} finally {
  await ctx.close();
  cleanup();
}
