/**
 * Alert thresholds calibrated on reference data, as NannyML does: the statistic is computed for
 * each reference window against the whole reference, and a production window alerts above
 * mean + 3σ of those values (σ: numpy.std, the population standard deviation). A statistic's
 * sampling noise depends on the window size and on the feature, which one fixed threshold cannot
 * know; the reference windows measure it.
 */
import { compareFeature, withoutWindow, type FeatureBaseline } from './driftStats';

/** Fewer reference windows than this give no usable σ; the fixed threshold applies instead. */
export const MIN_REFERENCE_WINDOWS = 3;
export const SIGMAS = 3;

export interface Calibration {
  threshold: number;
  mean: number;
  std: number;
  /** Reference windows that gave a value. */
  windows: number;
}

/**
 * mean + 3σ of the finite values (at least `floor`), or undefined when there are too few of them.
 * The monitor floors at one row's share of a reference window: a statistic that never moved in
 * the reference (no missing values at all, say) would otherwise alert on a single row.
 */
export function calibrateUpper(values: readonly number[], floor = 0): Calibration | undefined {
  const v = values.filter(Number.isFinite);
  if (v.length < MIN_REFERENCE_WINDOWS) return undefined;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { threshold: Math.max(floor, mean + SIGMAS * std), mean, std, windows: v.length };
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
