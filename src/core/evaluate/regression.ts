/** Regression metrics, the residual distribution and residuals against each input. */
import { QUANTILE_KEYS, QUANTILE_LEVELS, type QuantileKey } from '../data/profileTypes';
import { binIndex, histogram, histogramEdges, quantileSorted } from './binning';
import { checkRegression } from './checkInputs';
import { badInput } from '../errors';
import { CompensatedSum, sum, weightedMean } from './summation';
import type { Histogram, RegressionData, RegressionMetrics } from './types';

/** Residual = label − prediction, so a positive mean residual means the model predicts too low. */
function residuals(data: RegressionData): Float64Array {
  const r = new Float64Array(data.labels.length);
  for (let i = 0; i < r.length; i++) r[i] = data.labels[i]! - data.predictions[i]!;
  return r;
}

export function regressionMetrics(data: RegressionData): RegressionMetrics {
  checkRegression(data);
  const { labels, weights } = data;
  const n = labels.length;
  const res = residuals(data);
  const w = (i: number) => (weights ? weights[i]! : 1);
  const sse = new CompensatedSum();
  const sae = new CompensatedSum();
  for (let i = 0; i < n; i++) {
    sse.add(w(i) * res[i]! * res[i]!);
    sae.add(w(i) * Math.abs(res[i]!));
  }
  const weightTotal = weights ? sum(weights) : n;
  const mean = weightedMean(labels, weights);
  const sst = new CompensatedSum();
  for (let i = 0; i < n; i++) {
    const d = labels[i]! - mean;
    sst.add(w(i) * d * d);
  }
  return {
    rmse: Math.sqrt(sse.value / weightTotal),
    mae: sae.value / weightTotal,
    r2: r2(sse.value, sst.value, n),
    mean_residual: weightedMean(res, weights),
  };
}

/** sklearn's r2_score with force_finite: a constant label scores 1 when predicted exactly, else 0. */
function r2(sse: number, sst: number, n: number): number {
  if (n < 2) return NaN;
  if (sse === 0) return 1;
  if (sst === 0) return 0;
  return 1 - sse / sst;
}

export interface ResidualDistribution {
  /** Row counts per residual bin (weights do not enter: this shows how errors are spread over rows). */
  histogram: Histogram;
  /** numpy.quantile (linear) of the residuals, over rows. */
  quantiles: Record<QuantileKey, number>;
}

export function residualDistribution(data: RegressionData, options: { bins?: number } = {}): ResidualDistribution {
  checkRegression(data);
  const res = residuals(data);
  const sorted = Float64Array.from(res).sort();
  const quantiles = {} as Record<QuantileKey, number>;
  for (const key of QUANTILE_KEYS) quantiles[key] = quantileSorted(sorted, QUANTILE_LEVELS[key]);
  return { histogram: histogram(res, options.bins ?? 20), quantiles };
}

/** One bin of an input: a numeric range, a category, the rows missing the input, or the rest. */
export interface InputResidualBin {
  /** A range `[lower, upper)` (`upper` closed on the last bin), a category, "(missing)" or "(other)". */
  label: string;
  lower?: number;
  upper?: number;
  value?: string;
  count: number;
  /** Weighted mean of label − prediction over the bin's rows. */
  mean_residual: number;
}

export interface InputResiduals {
  input: string;
  kind: 'numeric' | 'categorical';
  bins: InputResidualBin[];
}

export interface ResidualsByInputOptions {
  /** Equal-width bins over a numeric input's range (numpy.histogram_bin_edges). Default 10. */
  bins?: number;
  /** The most frequent categories shown; the rest are pooled as "(other)". Default 20. */
  maxCategories?: number;
}

export type InputValue = number | bigint | string | boolean | Date | null | undefined;

const isMissing = (v: InputValue) => v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v));

/**
 * Mean residual per bin of one input: where in the input's range (or which categories) the model
 * is biased. Numeric when every present value is a number, else categorical by string value.
 */
export function residualsByInput(
  data: RegressionData,
  input: string,
  values: ArrayLike<InputValue>,
  options: ResidualsByInputOptions = {},
): InputResiduals {
  checkRegression(data);
  const n = data.labels.length;
  if (values.length !== n) throw badInput(undefined, `input ${input} has ${values.length} rows, the labels have ${n}`);
  const res = residuals(data);
  let numeric = true;
  for (let i = 0; i < n && numeric; i++) {
    const v = values[i];
    if (!isMissing(v) && typeof v !== 'number' && typeof v !== 'bigint') numeric = false;
  }
  const groups = new Map<string, { num: CompensatedSum; den: CompensatedSum; count: number }>();
  const add = (key: string, i: number) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { num: new CompensatedSum(), den: new CompensatedSum(), count: 0 }));
    const w = data.weights ? data.weights[i]! : 1;
    g.num.add(w * res[i]!);
    g.den.add(w);
    g.count++;
  };
  const finish = (label: string, key: string, extra: Partial<InputResidualBin> = {}): InputResidualBin => {
    const g = groups.get(key);
    return { label, ...extra, count: g?.count ?? 0, mean_residual: g ? g.num.value / g.den.value : NaN };
  };
  const MISSING = '\u0000missing';
  const bins: InputResidualBin[] = [];
  if (numeric) {
    const x = new Float64Array(n);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      x[i] = isMissing(v) ? NaN : Number(v);
      if (x[i]! < min) min = x[i]!;
      if (x[i]! > max) max = x[i]!;
    }
    const edges = min <= max ? histogramEdges(min, max, options.bins ?? 10) : [];
    for (let i = 0; i < n; i++) add(Number.isNaN(x[i]!) ? MISSING : String(binIndex(edges, x[i]!)), i);
    for (let b = 0; b + 1 < edges.length; b++) {
      const lower = edges[b]!;
      const upper = edges[b + 1]!;
      bins.push(finish(`[${fmt(lower)}, ${fmt(upper)}${b + 2 === edges.length ? ']' : ')'}`, String(b), { lower, upper }));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      add(isMissing(v) ? MISSING : v instanceof Date ? v.toISOString() : String(v), i);
    }
    const categories = [...groups.entries()]
      .filter(([key]) => key !== MISSING)
      .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const shown = categories.slice(0, options.maxCategories ?? 20);
    for (const [key] of shown) bins.push(finish(key, key, { value: key }));
    const rest = categories.slice(shown.length);
    if (rest.length > 0) {
      const pooled = { num: new CompensatedSum(), den: new CompensatedSum(), count: 0 };
      for (const [, g] of rest) {
        pooled.num.add(g.num.value);
        pooled.den.add(g.den.value);
        pooled.count += g.count;
      }
      bins.push({ label: '(other)', count: pooled.count, mean_residual: pooled.num.value / pooled.den.value });
    }
  }
  if (groups.has(MISSING)) bins.push(finish('(missing)', MISSING));
  return { input, kind: numeric ? 'numeric' : 'categorical', bins };
}

const fmt = (x: number) => String(Number(x.toPrecision(4)));
