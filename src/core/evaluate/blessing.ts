/**
 * "Blessing", as TFX's Evaluator does it: a candidate is blessed when every metric meets its value
 * thresholds and none got worse than the production version by more than it is allowed to.
 * Every check carries a sentence a person can act on, because a refused promotion has to say why.
 */
import { metricLabel } from '../report/format';
import { isMetricName, METRIC_DIRECTIONS, type MetricDirection, type MetricValues } from './types';

/** Inclusive bounds on a metric's value. */
export interface ValueThreshold {
  min?: number;
  max?: number;
}

/**
 * How much worse than production a metric may get. Both kinds may be given; then both must hold
 * (TFMA's GenericChangeThreshold). A bare number is relative, as prodml.yaml writes it (0.05 = 5%).
 */
export type AllowedRegression = number | { absolute?: number; relative?: number };

/** The `validation:` section of a model in prodml.yaml (its `slices` are read by the caller). */
export interface BlessingSpec {
  thresholds?: Record<string, ValueThreshold>;
  max_regression?: Record<string, AllowedRegression>;
}

export interface BlessingCheck {
  metric: string;
  kind: 'min' | 'max' | 'absolute_regression' | 'relative_regression';
  /** The candidate's value; null when the evaluation data cannot define it. */
  value: number | null;
  /** The bound (min/max) or the allowed worsening (absolute, or a fraction for relative). */
  threshold: number;
  /** The production version's value, for regression checks. */
  baseline?: number;
  passed: boolean;
  /** A regression check with nothing to compare against: it passes, and says so. */
  skipped?: boolean;
  description: string;
}

export interface Blessing {
  blessed: boolean;
  checks: BlessingCheck[];
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * `production` is the current production version's metrics, or undefined when there is none (the
 * first version is judged on thresholds alone).
 */
export function bless(metrics: MetricValues, spec: BlessingSpec, production?: MetricValues): Blessing {
  const checks: BlessingCheck[] = [];
  for (const [metric, bounds] of Object.entries(spec.thresholds ?? {})) {
    for (const kind of ['min', 'max'] as const) {
      const bound = bounds[kind];
      if (bound !== undefined) checks.push(thresholdCheck(metric, metrics, kind, bound));
    }
  }
  for (const [metric, allowed] of Object.entries(spec.max_regression ?? {})) {
    const kinds = typeof allowed === 'number' ? { relative: allowed } : allowed;
    for (const kind of ['absolute', 'relative'] as const) {
      const allowance = kinds[kind];
      if (allowance !== undefined) checks.push(regressionCheck(metric, metrics, kind, allowance, production));
    }
  }
  return { blessed: checks.every((c) => c.passed), checks };
}

function unavailable(metric: string, metrics: MetricValues): string | undefined {
  if (!(metric in metrics)) {
    const known = Object.keys(metrics).join(', ');
    return `${metric} is not a metric of this model (its metrics: ${known})`;
  }
  if (!finite(metrics[metric])) return `${metric} is undefined on the evaluation data (for example only one class is present)`;
  return undefined;
}

function thresholdCheck(metric: string, metrics: MetricValues, kind: 'min' | 'max', bound: number): BlessingCheck {
  const missing = unavailable(metric, metrics);
  if (missing) return { metric, kind, value: null, threshold: bound, passed: false, description: missing };
  const value = metrics[metric] as number;
  const passed = kind === 'min' ? value >= bound : value <= bound;
  const [v, b] = formatPair(value, bound);
  const limit = kind === 'min' ? 'minimum' : 'maximum';
  const relation = value === bound ? 'at' : value < bound ? 'below' : 'above';
  return { metric, kind, value, threshold: bound, passed, description: `${metricLabel(metric)} ${v} is ${relation} the ${limit} ${b}` };
}

function regressionCheck(
  metric: string,
  metrics: MetricValues,
  kind: 'absolute' | 'relative',
  allowance: number,
  production: MetricValues | undefined,
): BlessingCheck {
  const checkKind = kind === 'absolute' ? 'absolute_regression' : 'relative_regression';
  const base = { metric, kind: checkKind, threshold: allowance } as const;
  const missing = unavailable(metric, metrics);
  if (missing) return { ...base, value: null, passed: false, description: missing };
  const value = metrics[metric] as number;
  if (!isMetricName(metric)) return { ...base, value, passed: false, description: `${metric}: no known direction (higher or lower is better), so it cannot be compared` };
  const prod = production?.[metric];
  if (!finite(prod)) {
    const why = production ? `the production version has no ${metricLabel(metric)}` : 'there is no production version yet';
    return { ...base, value, passed: true, skipped: true, description: `${metricLabel(metric)} not compared: ${why}` };
  }
  const direction: MetricDirection = METRIC_DIRECTIONS[metric];
  // Worsening in the metric's own sense; for a bias ('zero') the magnitude is what gets worse.
  const [cand, ref] = direction === 'zero' ? [Math.abs(value), Math.abs(prod)] : [value, prod];
  const worse = direction === 'higher' ? ref - cand : cand - ref;
  const limit = kind === 'absolute' ? allowance : allowance * Math.abs(ref);
  const passed = worse <= limit;
  const name = direction === 'zero' ? `|${metricLabel(metric)}|` : metricLabel(metric);
  const [c, r] = formatPair(cand, ref);
  const allowedText = kind === 'absolute' ? formatNumber(allowance) : percent(allowance);
  let description: string;
  if (worse <= 0) description = worse === 0 ? `${name} ${c} equals production's ${r}` : `${name} ${c} is better than production's ${r}`;
  else {
    const by = kind === 'absolute' ? formatNumber(worse) : ref !== 0 ? percent(worse / Math.abs(ref)) : formatNumber(worse);
    description = passed
      ? `${name} ${c} is ${by} worse than production's ${r}, within the allowed ${allowedText}`
      : `${name} ${c} is ${by} worse than production's ${r}, more than the allowed ${allowedText}`;
  }
  return { ...base, value, baseline: prod, passed, description };
}

function formatNumber(x: number): string {
  return String(Number(significant(x, 3)));
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

/** Three significant digits, more when needed so that two different numbers never print alike. */
function formatPair(a: number, b: number): [string, string] {
  for (let digits = 3; digits <= 17; digits++) {
    const fa = significant(a, digits);
    const fb = significant(b, digits);
    if (fa !== fb || a === b) return [fa, fb];
  }
  return [String(a), String(b)];
}

/** toPrecision without switching to exponents for ordinary magnitudes (12345, not 1.23e+4). */
function significant(x: number, digits: number): string {
  const magnitude = Math.abs(x);
  if (magnitude === 0 || magnitude < 1e-4 || magnitude >= 1e15) return x.toPrecision(digits);
  const integerDigits = Math.floor(Math.log10(magnitude)) + 1;
  return x.toPrecision(Math.min(21, Math.max(digits, integerDigits)));
}
