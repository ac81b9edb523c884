/**
 * Small pure helpers for the benchmark's figures: percentiles and rounding.
 *
 * @module
 */

/**
 * The nearest-rank percentile `p` (0 < p ≤ 100) of `samples`: the smallest sample with at
 * least p % of the samples at or below it.
 *
 * @throws {RangeError} for no samples or `p` outside (0, 100].
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) {
    throw new RangeError("A percentile needs at least one sample; the scenario measured none.");
  }
  if (!(p > 0 && p <= 100)) {
    throw new RangeError(`A percentile must be above 0 and at most 100 (got ${p}).`);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}

/** `value` rounded to `digits` decimal places. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
