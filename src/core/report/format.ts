/**
 * How ProdML prints numbers and metric names for people, in the CLI, the webviews, the tree
 * views and the HTML reports alike: three significant digits, thousands separators, no
 * exponents for ordinary magnitudes, and a value that rounds away to nothing printed as 0 (a
 * mean residual of -4.4e-6 lb is 0 lb to anyone reading it). Metric names as people write them.
 * No Node or VS Code imports: the webviews bundle this file too.
 */

/** Below this magnitude a value prints as 0. */
export const NEAR_ZERO = 1e-4;

/** A number to `digits` significant digits (default 3); null, undefined and NaN print as —. */
export function fmtNum(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (Math.abs(x) < NEAR_ZERO) return '0';
  const rounded = Number(x.toPrecision(digits));
  // toLocaleString keeps at most 3 fraction digits by default; small values need theirs.
  const fraction = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(rounded))));
  return rounded.toLocaleString('en-US', { maximumFractionDigits: Math.min(20, fraction) });
}

/** A fraction (0.123) as a percentage with 3 significant digits (12.3%); near zero is 0%. */
export function fmtPct(fraction: number | null | undefined, digits = 3): string {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return '—';
  // 99.96% of requests is not all of them: add digits until a share below 1 stops reading 100%.
  let d = digits;
  while (d < 8 && fraction < 1 && Number((fraction * 100).toPrecision(d)) >= 100) d++;
  return `${fmtNum(fraction * 100, d)}%`;
}

/** A count with thousands separators. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A value that may be a count (printed whole) or a measure (3 significant digits). */
export function fmtValue(x: number | null | undefined): string {
  return typeof x === 'number' && Number.isInteger(x) ? fmtInt(x) : fmtNum(x);
}

const METRIC_LABELS: Record<string, string> = {
  rmse: 'RMSE',
  mae: 'MAE',
  mse: 'MSE',
  r2: 'R²',
  mean_residual: 'mean residual',
  log_loss: 'log loss',
  auc: 'AUC',
  roc_auc: 'ROC AUC',
  pr_auc: 'PR AUC',
  accuracy: 'accuracy',
  precision: 'precision',
  recall: 'recall',
  f1: 'F1',
  macro_f1: 'macro F1',
  calibration: 'calibration',
  ece: 'ECE',
  loss: 'loss',
  jensen_shannon: 'Jensen-Shannon distance',
  l_infinity: 'L∞ distance',
  psi: 'PSI',
  missing_rate: 'missing-rate rise',
  new_values: 'new-value share',
};

/** A metric or statistic name as people write it (rmse → RMSE, r2 → R², log_loss → log loss). */
export function metricLabel(name: string): string {
  return METRIC_LABELS[name] ?? name.replace(/_/g, ' ');
}

/**
 * Whether a log axis serves these values: all positive and spanning at least a decade. Over a
 * smaller range a log axis only distorts (a loss going from 1.2 to 0.9 is not a log story).
 */
export function spansDecades(values: readonly number[]): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!(v > 0)) return false;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return values.length > 1 && max / min >= 10;
}
