// Timing: samples of one way, and runs in which several ways of doing the same thing take turns.
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export const now = () => performance.now();

// The bench process hosts peers itself (raw node-pty, @xterm/headless) and the MCP clients: garbage one of them
// leaves is otherwise collected while the next is timed, on the same two cores.
setFlagsFromString("--expose-gc");
const collect = /** @type {() => void} */ (runInNewContext("gc"));

/** Collects the bench process's garbage now, so that none of it is collected while the next peer is timed. */
export function settleHeap() {
  collect();
}

/** A sample a way timed itself, by the measured program's own clock, instead of by the call's duration. */
export class OwnClock {
  /** @param {number} ms */
  constructor(ms) {
    this.ms = ms;
  }
}

/**
 * A way to time: it gets the sample's index (negative for unrecorded calls). Its sample is the call's duration,
 * unless it resolves with an OwnClock.
 * @typedef {(i: number) => Promise<unknown>} Way
 */

/**
 * Times `fn` `n` times after `warmup` unrecorded calls; returns the samples in ms.
 * @param {number} n
 * @param {number} warmup
 * @param {Way} fn
 */
export async function sample(n, warmup, fn) {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  /** @type {number[]} */
  const samples = [];
  for (let i = 0; i < n; i++) {
    const start = now();
    const own = await fn(i);
    samples.push(own instanceof OwnClock ? own.ms : now() - start);
  }
  return samples;
}

/**
 * One run of several ways of doing the same thing: `warmup` unrecorded calls of each, then `n` timed calls of each
 * in blocks of `block`, the ways taking turns (each block after `blockWarmup` unrecorded calls, so every way keeps
 * its hot path), so that drift on the shared machine hits every way alike. The first way rotates with `turn`. A way
 * left out (undefined) gets no samples.
 * @template {string} K
 * @param {{ [name in K]?: Way }} ways
 * @param {{ n: number, block: number, warmup: number, blockWarmup?: number, turn?: number }} options
 * @returns {Promise<{ [name in K]?: number[] }>}
 */
export async function interleave(ways, { n, block, warmup, blockWarmup = 0, turn = 0 }) {
  /** @type {Array<[K, Way]>} */
  const entries = [];
  for (const name of /** @type {K[]} */ (Object.keys(ways))) {
    const way = ways[name];
    if (way) entries.push([name, way]);
  }
  const first = turn % entries.length;
  const order = [...entries.slice(first), ...entries.slice(0, first)];
  /** @type {{ [name in K]?: number[] }} */
  const out = {};
  for (const [, way] of order) for (let i = 0; i < warmup; i++) await way(-1 - i);
  for (let done = 0; done < n; done += block) {
    const count = Math.min(block, n - done);
    for (const [name, way] of order) {
      settleHeap();
      const samples = await sample(count, blockWarmup, (i) => way(i < 0 ? i : done + i));
      out[name] = [...(out[name] ?? []), ...samples];
    }
  }
  return out;
}

/**
 * Each run's samples of the way `name` (which every run must have).
 * @template {string} K
 * @param {Array<{ [name in K]?: number[] }>} runs
 * @param {K} name
 */
export function samplesOf(runs, name) {
  return runs.map((run) => {
    const samples = run[name];
    if (!samples) throw new Error(`sampling: no samples of ${name}`);
    return samples;
  });
}

/**
 * Calls `fn` once per run, in order, and returns what each call returned.
 * @template T
 * @param {number} runs
 * @param {(run: number) => Promise<T>} fn
 */
export async function eachRun(runs, fn) {
  /** @type {T[]} */
  const out = [];
  for (let run = 0; run < runs; run++) out.push(await fn(run));
  return out;
}
