// The rows a workload reports: ccmux's measure, its peers' measures with the ccmux/peer ratio of each run, and
// the target the issue set for the row, if any. results.json holds these rows; report.mjs renders them.
import { fig } from "./format.mjs";
import { figure, median, percentile } from "./stats.mjs";

/**
 * @typedef {import("./stats.mjs").Figure} Figure
 * @typedef {object} Measure One side of a row, over all runs.
 * @property {Figure} median The median over runs of each run's median (latencies) or of each run's value.
 * @property {Figure | null} p99 The median over runs of each run's nearest-rank p99 (latencies only).
 * @property {number[]} runs Each run's median or value, in run order: the ratios are taken from these.
 * @property {number} n Samples over all runs.
 * @property {string} notes
 * @typedef {{ name: string, measure: Measure, ratio: Figure }} Peer A peer with the ccmux/peer ratio of each run.
 * @typedef {{ text: string, met: boolean, detail: string }} Target
 * @typedef {object} Row
 * @property {string} id
 * @property {string} title
 * @property {string} unit
 * @property {"lower" | "higher"} better
 * @property {Measure} ccmux The measured side: ccmux, or the tool named in the title for reference rows.
 * @property {Peer[]} peers
 * @property {Target | null} target
 */

/** `value` to four significant digits, as results.json keeps figures. @param {number} value */
function sig(value) {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : value;
}

/** @param {Figure} f */
const sigFigure = (f) => ({ median: sig(f.median), lo: sig(f.lo), hi: sig(f.hi) });

/**
 * Latency samples of each run (ms): the median and p99 of each run, summarized over runs.
 * @param {number[][]} perRun
 * @param {string} [notes]
 * @returns {Measure}
 */
export function latency(perRun, notes = "") {
  const medians = perRun.map((samples) => median(samples));
  return {
    median: sigFigure(figure(medians)),
    p99: sigFigure(figure(perRun.map((samples) => percentile(samples, 99)))),
    runs: medians.map(sig),
    n: perRun.reduce((sum, samples) => sum + samples.length, 0),
    notes,
  };
}

/**
 * One value per run (MB/s, MiB, records/s), summarized over runs.
 * @param {number[]} values
 * @param {string} [notes]
 * @param {number} [n] Samples behind the values, when more than one each.
 * @returns {Measure}
 */
export function perRun(values, notes = "", n = values.length) {
  return { median: sigFigure(figure(values)), p99: null, runs: values.map(sig), n, notes };
}

/**
 * A peer of `ccmux`, with the ccmux/peer ratio of each run's median or value.
 * @param {string} name
 * @param {Measure} measure
 * @param {Measure} ccmux
 * @returns {Peer}
 */
export function peer(name, measure, ccmux) {
  if (measure.runs.length !== ccmux.runs.length)
    throw new Error(
      `rows: ${name} has ${measure.runs.length} runs, expected ${ccmux.runs.length} like ccmux`,
    );
  const ratios = ccmux.runs.map((value, i) => value / (measure.runs[i] ?? Number.NaN));
  return { name, measure, ratio: sigFigure(figure(ratios)) };
}

/**
 * A target on a peer's ratio, judged on its median over runs.
 * @param {string} text
 * @param {Peer} p
 * @param {(ratio: number) => boolean} test
 * @returns {Target}
 */
export function ratioTarget(text, p, test) {
  return { text, met: test(p.ratio.median), detail: `ccmux/${p.name} ${fig(p.ratio)}` };
}

/**
 * @param {Omit<Row, "peers" | "target"> & Partial<Pick<Row, "peers" | "target">>} fields
 * @returns {Row}
 */
export function row(fields) {
  return { peers: [], target: null, ...fields };
}

/**
 * @typedef {object} Workload One workload: bench/workloads/<name>.mjs exports it as default.
 * @property {string} name What `--only` selects.
 * @property {string} title
 * @property {import("./context.mjs").Resource[]} uses The shared servers it measures: each is released after the
 *   last selected workload that uses it.
 * @property {string} method How it measures, in Markdown: BENCHMARKS.md states it above the workload's rows.
 * @property {(ctx: import("./context.mjs").BenchContext) => Promise<Row[]>} run
 */
