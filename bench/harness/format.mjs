// How a figure reads in a table or a target's detail.

/** @param {number} value Three significant digits or so, as a person reads a table. */
function fmt(value) {
  if (!Number.isFinite(value)) return "—";
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toFixed(digits);
}

/** @param {import("./stats.mjs").Figure} f "median (min–max)" */
export const fig = (f) => (f.lo === f.hi ? fmt(f.median) : `${fmt(f.median)} (${fmt(f.lo)}–${fmt(f.hi)})`);
