/**
 * Alerts: every drift statistic above its threshold and every metric outside its
 * `monitoring.thresholds` bounds, each with one sentence a person on call understands.
 */
import type { MonitoringConfig } from '../project/config';
import { PREDICTION } from './baseline';
import { pct } from './driftStats';
import { fmtNum } from '../report/format';
import { MIN_WINDOW_ROWS } from './windows';
import type { Alert, DriftValue, ThresholdReport, WindowReport } from './types';

const MEASURE: Record<string, string> = {
  jensen_shannon: 'Jensen-Shannon distance',
  l_infinity: 'L-infinity distance',
};

export function buildAlerts(windows: readonly WindowReport[], monitoring: MonitoringConfig, thresholds: readonly ThresholdReport[]): Alert[] {
  const out: Alert[] = [];
  for (const w of windows) {
    for (const d of w.drift) {
      if (!d.alert || d.value === null) continue;
      const t = thresholds.find((x) => x.version === w.baseline_version && x.feature === d.feature && x.statistic === d.statistic);
      out.push({
        window: w.window,
        feature: d.feature,
        statistic: d.statistic,
        value: d.value,
        threshold: d.threshold,
        kind: d.kind,
        message: driftMessage(w, d, t),
        version: w.baseline_version ?? w.versions[0]?.version,
        status: 'active',
      });
    }
    if (!w.metrics || w.labelled < MIN_WINDOW_ROWS) continue;
    for (const [metric, bounds] of Object.entries(monitoring.thresholds)) {
      const value = w.metrics[metric];
      if (value === undefined || value === null) continue;
      // mean_residual is a bias: its bounds read as bounds on the signed value, as written.
      const breach = bounds.max !== undefined && value > bounds.max ? { side: 'max' as const, threshold: bounds.max } : bounds.min !== undefined && value < bounds.min ? { side: 'min' as const, threshold: bounds.min } : undefined;
      if (!breach) continue;
      out.push({
        window: w.window,
        metric,
        statistic: metric,
        value,
        threshold: breach.threshold,
        kind: 'fixed',
        version: w.versions[0]?.version,
        status: 'active',
        message: `${w.window}: ${metric} is ${num(value)} on ${w.labelled.toLocaleString('en-US')} labelled predictions, ${breach.side === 'max' ? 'above' : 'below'} the fixed threshold ${num(breach.threshold)} (monitoring.thresholds.${metric}.${breach.side}).`,
      });
    }
  }
  return out;
}

function driftMessage(w: WindowReport, d: DriftValue, t: ThresholdReport | undefined): string {
  const scale = t?.reference?.scale === 'log' ? ' on the log scale' : t?.reference?.scale === 'sqrt' ? ' on the square-root scale' : '';
  const how =
    d.kind === 'calibrated' && t?.reference
      ? `the calibrated threshold ${num(d.threshold)} (mean + ${t.reference.sigmas ?? 3}σ${scale} over ${t.reference.windows} windows of the training data)`
      : `the fixed threshold ${num(d.threshold)} (monitoring.drift.threshold)`;
  if (d.statistic === 'missing_rate') {
    return `${w.window}: ${d.feature} is missing in ${pct(d.current_missing ?? 0)} of ${w.count.toLocaleString('en-US')} requests against ${pct(d.baseline_missing ?? 0)} in the training data; the rise (${num(d.value!)}) is above ${how}.`;
  }
  if (d.statistic === 'new_values') {
    return `${w.window}: ${pct(d.value!)} of ${d.feature} values in ${w.count.toLocaleString('en-US')} requests are values the training data never had; that share is above ${how}.`;
  }
  const what = d.feature === PREDICTION ? `the predictions of version ${w.baseline_version} drifted from its predictions on its training data` : `${d.feature} drifted from the training data of version ${w.baseline_version}`;
  return `${w.window}: ${what}: ${MEASURE[d.statistic] ?? d.statistic} ${num(d.value!)} is above ${how}; ${d.moved ?? ''}.`.replace(/; \.$/, '.');
}

function num(x: number): string {
  return fmtNum(x);
}
