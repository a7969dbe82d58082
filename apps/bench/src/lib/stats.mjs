/** Summary statistics of a series of timings (milliseconds). */

/** @param {number[]} sorted ascending @param {number} q in [0, 1] nearest-rank quantile */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** @param {number[]} sorted ascending */
export function median(sorted) {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * @param {number[]} samples timings in ms
 * @returns {{ n: number, min: number, median: number, p90: number, max: number, mean: number }}
 */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    median: median(sorted),
    p90: quantile(sorted, 0.9),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean,
  };
}

/** "+4.2%" / "-1.0%" for a ratio such as 1.042. */
export function percent(ratio) {
  const p = (ratio - 1) * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
}

/** "1,234,567" (thousands separated), or "n/a". */
export function count(value, digits = 0) {
  return Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
}

/** "12.3x" for a ratio, or "n/a". */
export function times(ratio, digits = 2) {
  return Number.isFinite(ratio) ? `${ratio.toFixed(digits)}x` : 'n/a';
}
