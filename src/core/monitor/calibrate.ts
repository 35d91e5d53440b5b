/**
 * Alert thresholds calibrated on reference data, as NannyML does: the statistic is computed for
 * each reference window against the whole reference, and a production window alerts above
 * mean + 3σ of those values (σ: numpy.std, the population standard deviation). A statistic's
 * sampling noise depends on the window size and on the feature, which one fixed threshold cannot
 * know; the reference windows measure it.
 *
 * mean + 3σ promises a tail of P(Z > 3) = 0.135% only for a near-normal statistic, and none of
 * the monitor's is one, so each is calibrated on the scale where it is near-normal:
 * - the distances (Jensen-Shannon, L-infinity) are non-negative and right-skewed (L-infinity is
 *   a maximum over categories, Jensen-Shannon the root of a divergence that grows like a
 *   chi-square): on the raw scale clean windows crossed mean + 3σ at 0.5-1% (bench/drift.bench.ts).
 *   On the log scale, threshold = exp(mean + 3σ of ln v): a log-normal tail is at least as heavy
 *   as theirs, and measured it lies 3-15% above the clean windows' 99.865th percentile. It is
 *   the one power that kept the tail under 0.25% for every shape tried (Jensen-Shannon, L-infinity
 *   over 8 to 50 categories) and with only 12 reference windows; the price is a cautious threshold
 *   where few categories make L-infinity a half-normal (a binary feature: about 2x the 99.865th
 *   percentile, where √v would be exact).
 * - the missing-value and new-value shares are counts over the window, binomial and right-skewed
 *   when few rows are affected (skew 0.31 for 10 missing in 500): the raw 3σ point of the rise
 *   left 0.3% of clean 500-row windows above it, up to 0.9% with σ from 100 windows. The square
 *   root is a count's variance-stabilising transform (Anscombe): threshold = (mean + 3σ of √share)²,
 *   whose binomial tail is 0.06-0.11% for 10 to 100 expected rows.
 *
 * The monitor judges a feature's window by at most three statistics, so by Bonferroni the chance
 * that a clean window raises any alert is at most 3 × 0.135% = 0.4%. That keeps issue 5's budget
 * (at most 1% false alarms per window) with room for σ being estimated from as few as a dozen
 * reference windows; a budget split as 1%/k (z = 2.71 for three statistics) would leave no room
 * and measured above 1% with 100 reference windows.
 */
import { compareFeature, withoutWindow, type DriftStatistic, type FeatureBaseline } from './driftStats';

/** Fewer reference windows than this give no usable σ; the fixed threshold applies instead. */
export const MIN_REFERENCE_WINDOWS = 3;
export const SIGMAS = 3;

/**
 * The scale mean + 3σ is taken on. linear: the values; log: ln(value + offset); sqrt:
 * √(value + offset). The offset turns a signed rise back into the share it rose to.
 */
export type CalibrationScale = 'linear' | 'log' | 'sqrt';

export interface Calibration {
  threshold: number;
  /** The values' mean and σ on their own scale, whatever scale the threshold was set on. */
  mean: number;
  std: number;
  /** Reference windows that gave a value. */
  windows: number;
  /** log only when every value + offset was above zero; else linear. */
  scale: CalibrationScale;
  sigmas: number;
  /**
   * log and sqrt: the mean and σ of the transformed values, so that
   * threshold = max(floor, exp(scaled_mean + sigmas·scaled_std) − offset) on the log scale,
   * max(floor, (scaled_mean + sigmas·scaled_std)² − offset) on the square-root scale.
   */
  scaled_mean?: number;
  scaled_std?: number;
  offset?: number;
  /** The least threshold allowed; threshold === floor when it bound. */
  floor: number;
}

function meanStd(v: readonly number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) };
}

/**
 * mean + 3σ of the finite values on `scale` (at least `floor`), or undefined when there are too
 * few of them. A statistic that is zero in some reference window has a point mass no log-normal
 * describes, so log falls back to linear; the square root takes zeros as they are (a reference
 * rise measured against the rest of the baseline can fall a hair below −offset: read as 0).
 * The monitor floors at one row's share of a reference window: a statistic that never moved in
 * the reference (no missing values at all, say) would otherwise alert on a single row.
 */
export function calibrateUpper(values: readonly number[], floor = 0, scale: CalibrationScale = 'linear', offset = 0, minScaledStd = 0): Calibration | undefined {
  const v = values.filter(Number.isFinite);
  if (v.length < MIN_REFERENCE_WINDOWS) return undefined;
  const { mean, std } = meanStd(v);
  const linear: Calibration = { threshold: Math.max(floor, mean + SIGMAS * std), mean, std, windows: v.length, scale: 'linear', sigmas: SIGMAS, floor };
  if (scale === 'linear') return linear;
  const shifted = v.map((x) => x + offset);
  if (scale === 'log' && !shifted.every((x) => x > 0)) return linear;
  const measured = meanStd(shifted.map((x) => (scale === 'log' ? Math.log(x) : Math.sqrt(Math.max(0, x)))));
  const scaled = { mean: measured.mean, std: Math.max(measured.std, minScaledStd) };
  const upper = scaled.mean + SIGMAS * scaled.std;
  const threshold = Math.max(floor, (scale === 'log' ? Math.exp(upper) : upper ** 2) - offset);
  return { threshold, mean, std, windows: v.length, scale, sigmas: SIGMAS, scaled_mean: scaled.mean, scaled_std: scaled.std, offset, floor };
}

/**
 * A drift statistic's threshold from its values over reference windows, on the scale where it is
 * near-normal: the distances on the log scale, the missing-value rise and the new-value share as
 * square roots of the share of rows (the rise plus the baseline's missing share).
 */
export function calibrateStatistic(statistic: DriftStatistic, values: readonly number[], floor: number, base: FeatureBaseline, windowRows?: number): Calibration | undefined {
  // σ of a share's square root cannot be below sampling noise, 1/(2√n) for n rows (Anscombe);
  // a dozen reference windows can happen to vary less than that, and then June alerts on chance.
  const binomial = windowRows && windowRows > 0 ? 1 / (2 * Math.sqrt(windowRows)) : 0;
  if (statistic === 'missing_rate') return calibrateUpper(values, floor, 'sqrt', base.rows > 0 ? base.missing / base.rows : 0, binomial);
  return calibrateUpper(values, floor, statistic === 'new_values' ? 'sqrt' : 'log', 0, statistic === 'new_values' ? binomial : 0);
}

/** One row's share of the typical (median) reference window: calibrateUpper's floor. */
export function oneRowShare(windows: readonly { length: number }[]): number {
  const sizes = windows.map((w) => w.length).sort((a, b) => a - b);
  return 1 / Math.max(1, sizes[Math.floor(sizes.length / 2)] ?? 1);
}

/**
 * A feature's drift statistics over reference windows, each window (its values, all part of the
 * baseline) compared with the rest of the baseline: what calibrateUpper turns into thresholds.
 */
export function referenceStatistics(base: FeatureBaseline, windows: readonly (readonly unknown[])[]): { distance: number[]; missing_rate: number[]; new_values: number[] } {
  const distance: number[] = [];
  const missing_rate: number[] = [];
  const new_values: number[] = [];
  for (const values of windows) {
    const c = compareFeature(withoutWindow(base, values), values);
    distance.push(c.value);
    missing_rate.push(c.missing_rate);
    if (c.new_values !== undefined) new_values.push(c.new_values);
  }
  return { distance, missing_rate, new_values };
}
