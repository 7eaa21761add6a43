// Statistics of the bench. Every reported figure is the median over runs of a per-run value, with the min–max
// spread over those runs; ratios are taken within each run first, then summarized the same way.

/** @typedef {{ median: number, lo: number, hi: number }} Figure A median over runs, and their min and max. */

/** @param {readonly number[]} values */
function sorted(values) {
  if (values.length === 0) throw new Error("stats: expected at least one value, got none");
  return [...values].sort((a, b) => a - b);
}

/** @param {readonly number[]} values */
export function median(values) {
  const s = sorted(values);
  const mid = s.length >> 1;
  const high = s[mid] ?? Number.NaN;
  return s.length % 2 ? high : ((s[mid - 1] ?? Number.NaN) + high) / 2;
}

/**
 * Nearest-rank percentile, `p` in 0–100: with fewer than 100 values, p99 is the largest.
 * @param {readonly number[]} values
 * @param {number} p
 */
export function percentile(values, p) {
  const s = sorted(values);
  return s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1] ?? Number.NaN;
}

/**
 * The median of per-run values with their min–max.
 * @param {readonly number[]} values
 * @returns {Figure}
 */
export function figure(values) {
  const s = sorted(values);
  return { median: median(s), lo: s[0] ?? Number.NaN, hi: s.at(-1) ?? Number.NaN };
}

/** @param {number} value @param {number} digits */
export function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
