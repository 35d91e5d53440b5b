/**
 * Alert thresholds calibrated on reference data, as NannyML does: the statistic is computed for
 * each reference window against the whole reference, and a production window alerts above
 * mean + 3σ of those values (σ: numpy.std, the population standard deviation). A statistic's
 * sampling noise depends on the window size and on the feature, which one fixed threshold cannot
 * know; the reference windows measure it.
 */

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

/** mean + 3σ of the finite values, or undefined when there are too few of them. */
export function calibrateUpper(values: readonly number[]): Calibration | undefined {
  const v = values.filter(Number.isFinite);
  if (v.length < MIN_REFERENCE_WINDOWS) return undefined;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { threshold: mean + SIGMAS * std, mean, std, windows: v.length };
}
