/** Latency statistics, in the unit of the input. */
export interface LatencyStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  p50: number;
  p95: number;
  p99: number;
  /** Sample standard deviation (n − 1), 0 for fewer than two values. */
  stdev: number;
}

/**
 * Quantile q of ascending values by linear interpolation between closest ranks (Hyndman & Fan
 * type 7: numpy's default percentile, and Python's statistics.median for q = 0.5), which is what
 * the old Python simulator's users compare against.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be from 0 to 1, got ${q}`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  return a + (h - lo) * (sorted[hi]! - a);
}

/** min / max / mean / median / p95 / p99 / stdev of the values, or null when there are none. */
export function latencyStats(values: ArrayLike<number>): LatencyStats | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = sum / n;
  // Two passes (mean first) rather than a running sum of squares, which cancels badly.
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (sorted[i]! - mean) ** 2;
  const median = quantileSorted(sorted, 0.5);
  return {
    count: n,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    mean,
    median,
    p50: median,
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    stdev: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
  };
}
