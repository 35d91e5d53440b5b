/**
 * Intervals for the feature-value check: a paired bootstrap over the held-out rows. Each resample
 * is a vector of multinomial counts used as row weights, so every metric (weighted RMSE, AUC,
 * accuracy) is recomputed on the resample without copying rows, and the unpermuted and permuted
 * predictions are compared on the same resample. The interval therefore covers both which rows
 * happened to be held out and (through the repeats averaged inside) which shuffles were drawn.
 */
import { mulberry32 } from '../demo/random';

export const DEFAULT_BOOTSTRAP = 200;
export const CONFIDENCE = 0.95;

/** `b` multinomial resamples of `n` rows, as count vectors. */
export function bootstrapWeights(n: number, b: number, seed: number): Float64Array[] {
  const random = mulberry32(seed);
  return Array.from({ length: b }, () => {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[Math.floor(random() * n)]!++;
    return w;
  });
}

/** The percentile interval of bootstrap statistics (linear interpolation, as numpy's default). */
export function percentileInterval(stats: readonly number[], confidence = CONFIDENCE): [number, number] {
  const s = stats.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return [Number.NaN, Number.NaN];
  const at = (q: number) => {
    const pos = q * (s.length - 1);
    const lo = Math.floor(pos);
    return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
  };
  return [at((1 - confidence) / 2), at(1 - (1 - confidence) / 2)];
}

export type Verdict = 'worth its cost' | 'not worth its cost' | "can't tell with this much data";

/**
 * A verdict only when the interval allows one. Undecided: the rows that would narrow the interval
 * (width ∝ 1/√n) until it clears the threshold, when the estimate is away from the threshold.
 */
export function verdictOf(estimate: number, low: number, high: number, threshold: number, rows: number): { verdict: Verdict; rows_to_decide?: number } {
  if (low > threshold) return { verdict: 'worth its cost' };
  if (high < threshold) return { verdict: 'not worth its cost' };
  const half = (high - low) / 2;
  const gap = Math.abs(estimate - threshold);
  if (!(gap > 0) || !(half > 0)) return { verdict: "can't tell with this much data" };
  return { verdict: "can't tell with this much data", rows_to_decide: Math.ceil(rows * (half / gap) ** 2) };
}
