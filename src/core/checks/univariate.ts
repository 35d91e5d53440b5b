/**
 * How well one feature alone predicts the label: a lookup model fitted on the training split
 * (the label's mean, positive rate or majority class per bin of the feature) and scored on the
 * held-out split. Numbers are binned by training quantiles, categories are their own bins, a
 * missing value is a bin of its own, and a bin never seen in training predicts the training
 * average. A lookup table has no smoothness to hide behind, and scored again under a time or
 * group split it shows whether the feature predicts or only recognises rows it has seen.
 */
import { rocAuc } from '../evaluate/binary';
import { quantileSorted } from '../evaluate/binning';
import { toCategory, toDate, toNumber } from '../features/apply';
import type { FeatureSpec } from '../features/spec';
import type { Task } from '../train/model';

/** R² for regression, ROC AUC for binary, accuracy for multiclass. */
export type UnivariateMeasure = 'r2' | 'auc' | 'accuracy';

export const UNIVARIATE_MEASURE: Record<Task, UnivariateMeasure> = { regression: 'r2', binary: 'auc', multiclass: 'accuracy' };

export interface UnivariateScore {
  feature: string;
  measure: UnivariateMeasure;
  /** On the held-out split; NaN when the split cannot define it (e.g. one class only). */
  score: number;
  /** Bins the lookup model learned (including the missing-value bin). */
  bins: number;
}

const MAX_NUMERIC_BINS = 20;
/** Up to this many distinct numbers (ages, weeks, counts) each get their own bin. */
const MAX_DISTINCT_BINS = 50;
const MISSING = '\u0000missing';

/** The bin key of a value: a category, or the index of the training-quantile interval of a number. */
function binner(spec: FeatureSpec, train: readonly number[], value: (i: number) => unknown): (v: unknown) => string {
  const kind = spec.transform.kind;
  if (kind === 'one_hot' || kind === 'vocabulary') return (v) => toCategory(v) ?? MISSING;
  const num = kind === 'date_parts' ? (v: unknown) => toDate(v)?.getTime() ?? null : toNumber;
  const xs: number[] = [];
  let text = false;
  for (const i of train) {
    const v = value(i);
    const x = num(v);
    if (x !== null) xs.push(x);
    else if (!text && toCategory(v) !== null) text = true;
  }
  // Text that is not numeric (an unconfigured category) falls back to categories.
  if (xs.length === 0 && text) return (v) => toCategory(v) ?? MISSING;
  const sorted = Float64Array.from(xs).sort();
  // Distinct values counted on the sorted copy (0 and -0 alike, as a Set counts them): no Set of every training value.
  let distinct = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct <= MAX_DISTINCT_BINS) return (v) => String(num(v) ?? MISSING);
  const edges = [...new Set(Array.from({ length: MAX_NUMERIC_BINS - 1 }, (_, i) => quantileSorted(sorted, (i + 1) / MAX_NUMERIC_BINS)))];
  const names = Array.from({ length: edges.length + 1 }, (_, b) => `b${b}`);
  return (v) => {
    const x = num(v);
    if (x === null) return MISSING;
    let b = 0;
    while (b < edges.length && x >= edges[b]!) b++;
    return names[b]!;
  };
}

/**
 * `value` reads the feature's raw value at a row index; `y` holds encoded labels (value, 0/1,
 * class index) of every row; `train` and `eval` index rows. `classes` is the number of classes
 * for multiclass.
 */
export function univariateScore(
  spec: FeatureSpec,
  task: Task,
  value: (i: number) => unknown,
  y: ArrayLike<number>,
  train: readonly number[],
  evalIdx: readonly number[],
  classes = 2,
): UnivariateScore {
  const bin = binner(spec, train, value);
  const k = task === 'multiclass' ? classes : 1;
  // Per bin: count and label sums (regression, binary) or class counts (multiclass).
  const stats = new Map<string, { n: number; sums: Float64Array }>();
  const overall = { n: 0, sums: new Float64Array(k) };
  for (const i of train) {
    const key = bin(value(i));
    let s = stats.get(key);
    if (!s) stats.set(key, (s = { n: 0, sums: new Float64Array(k) }));
    const label = y[i]!;
    s.n++;
    overall.n++;
    if (task === 'multiclass') {
      s.sums[label]!++;
      overall.sums[label]!++;
    } else {
      s.sums[0]! += label;
      overall.sums[0]! += label;
    }
  }
  const predictOf = (s: { n: number; sums: Float64Array }) => (task === 'multiclass' ? argmax(s.sums) : s.sums[0]! / s.n);
  const fallback = predictOf(overall);
  const predictions = new Map([...stats].map(([key, s]) => [key, predictOf(s)]));
  const pred = Float64Array.from(evalIdx, (i) => predictions.get(bin(value(i))) ?? fallback);
  const labels = Float64Array.from(evalIdx, (i) => y[i]!);
  const measure = UNIVARIATE_MEASURE[task];
  return { feature: spec.name, measure, score: scoreOf(measure, labels, pred), bins: stats.size };
}

/** The measure of predictions (values, P(1) or class indices) against labels. */
export function scoreOf(measure: UnivariateMeasure, labels: Float64Array | Float32Array, pred: ArrayLike<number>): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  if (measure === 'auc') {
    if (!labels.some((v) => v === 1) || !labels.some((v) => v === 0)) return Number.NaN;
    return rocAuc({ labels, scores: pred });
  }
  if (measure === 'accuracy') {
    let hits = 0;
    for (let i = 0; i < n; i++) if (pred[i] === labels[i]) hits++;
    return hits / n;
  }
  // r2_score: 1 − SSE / SST around the held-out mean (scikit-learn's definition).
  let mean = 0;
  for (let i = 0; i < n; i++) mean += labels[i]!;
  mean /= n;
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    sse += (labels[i]! - pred[i]!) ** 2;
    sst += (labels[i]! - mean) ** 2;
  }
  return sst > 0 ? 1 - sse / sst : Number.NaN;
}

function argmax(a: Float64Array): number {
  let best = 0;
  for (let j = 1; j < a.length; j++) if (a[j]! > a[best]!) best = j;
  return best;
}

/** What the measure reads when a predictor knows nothing: R² 0, AUC 0.5, the majority class's share. */
export function chanceLevel(measure: UnivariateMeasure, labels: ArrayLike<number>, trainLabels: ArrayLike<number>): number {
  if (measure === 'r2') return 0;
  if (measure === 'auc') return 0.5;
  const counts = new Map<number, number>();
  for (let i = 0; i < trainLabels.length; i++) counts.set(trainLabels[i]!, (counts.get(trainLabels[i]!) ?? 0) + 1);
  const majority = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === majority) hits++;
  return labels.length ? hits / labels.length : Number.NaN;
}
