/**
 * The monitor's drift statistics, pure functions of values in memory: one feature's values in a
 * window against the same feature in the training data. They are validation's statistics on
 * validation's bins (src/core/schema/drift.ts through profiling): Jensen-Shannon distance on the
 * shared numeric binning (sharedBinning), L-infinity on the union of each side's top 50 values
 * with the rest pooled. Missing values are left out of both, as profiling leaves them out of
 * histograms; the change in the missing rate is its own statistic (the L-infinity distance of the
 * present/missing split), so a feature that starts arriving empty is caught too.
 */
import { binOf, sharedBinning, type Binning } from '../data/profile';
import { jensenShannonDistance, lInfinityDistance } from '../schema/stats';
import { fmtNum, fmtPct } from '../report/format';

export type FeatureKind = 'numeric' | 'categorical';
export type DriftStatistic = 'jensen_shannon' | 'l_infinity' | 'missing_rate' | 'new_values';

/** Categories compared exactly (as validation's drift check); rarer ones are pooled. */
export const TOP_K = 50;
export const OTHER = '(other values)';

/** One feature of the reference data, summarised once and compared with many windows. */
export interface FeatureBaseline {
  name: string;
  kind: FeatureKind;
  rows: number;
  missing: number;
  /** Numeric: present values, sorted ascending. */
  sorted?: Float64Array;
  int?: boolean;
  mean?: number;
  std?: number;
  /** Categorical: value counts. */
  counts?: Map<string, number>;
}

export interface FeatureComparison {
  /** jensen_shannon (numeric) or l_infinity (categorical); NaN when a side has no values. */
  statistic: 'jensen_shannon' | 'l_infinity';
  value: number;
  /**
   * The rise in the missing fraction, current − baseline (negative when fewer are missing). Signed,
   * because fewer missing values is rarely a fault, and a signed difference is near-normal, so
   * mean + 3σ over reference windows has the tail probability it promises.
   */
  missing_rate: number;
  baseline_missing: number;
  current_missing: number;
  /**
   * Categorical: the share of the window's present values that the baseline never had (schema
   * validation's out_of_domain, as a rate). L-infinity moves by at most a new value's share,
   * which hides under sampling noise in small windows; this does not.
   */
  new_values?: number;
  /** A phrase saying what moved most, for alert messages. */
  moved: string;
}

export function isMissing(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (typeof v === 'number' && !Number.isFinite(v));
}

/** A number for numeric features (numbers, numeric strings, booleans as 0/1), else undefined. */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function asCategory(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

/** Numeric when every present value is a number (validation's schema would type it int/float). */
export function featureKind(values: ArrayLike<unknown>): FeatureKind {
  let seen = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) continue;
    if (typeof v !== 'number' && typeof v !== 'bigint') return 'categorical';
    seen = true;
  }
  return seen ? 'numeric' : 'categorical';
}

export function summarizeBaseline(name: string, values: ArrayLike<unknown>, kind: FeatureKind = featureKind(values)): FeatureBaseline {
  const rows = values.length;
  if (kind === 'numeric') {
    const present: number[] = [];
    for (let i = 0; i < rows; i++) {
      const n = isMissing(values[i]) ? undefined : asNumber(values[i]);
      if (n !== undefined) present.push(n);
    }
    const sorted = Float64Array.from(present).sort();
    const mean = present.reduce((a, b) => a + b, 0) / Math.max(1, present.length);
    const std = Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, present.length - 1));
    return { name, kind, rows, missing: rows - sorted.length, sorted, int: sorted.every(Number.isInteger), mean, std };
  }
  const counts = new Map<string, number>();
  let missing = 0;
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (isMissing(v)) missing++;
    else counts.set(asCategory(v), (counts.get(asCategory(v)) ?? 0) + 1);
  }
  return { name, kind, rows, missing, counts };
}

/**
 * The baseline without one of its own windows (the window's values, which must all be in it): a
 * reference window is compared with the rest of the reference, as an independent production
 * window would be, so calibration sees the full sampling noise of a window against the baseline.
 */
export function withoutWindow(base: FeatureBaseline, values: ArrayLike<unknown>): FeatureBaseline {
  let missing = 0;
  for (let i = 0; i < values.length; i++) if (isMissing(values[i])) missing++;
  const rows = base.rows - values.length;
  if (base.kind === 'numeric') {
    const drop: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const x = isMissing(values[i]) ? undefined : asNumber(values[i]);
      if (x !== undefined) drop.push(x);
    }
    drop.sort((a, b) => a - b);
    const sorted = base.sorted!;
    const kept = new Float64Array(sorted.length - drop.length);
    let k = 0;
    let j = 0;
    for (let i = 0; i < sorted.length; i++) {
      if (j < drop.length && sorted[i] === drop[j]) j++;
      else kept[k++] = sorted[i]!;
    }
    return { ...base, rows, missing: base.missing - missing, sorted: kept.subarray(0, k) };
  }
  const counts = new Map(base.counts!);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) continue;
    const c = asCategory(v);
    const n = (counts.get(c) ?? 0) - 1;
    if (n > 0) counts.set(c, n);
    else counts.delete(c);
  }
  return { ...base, rows, missing: base.missing - missing, counts };
}

/** The window's values compared with the baseline on shared bins or categories. */
export function compareFeature(base: FeatureBaseline, values: ArrayLike<unknown>): FeatureComparison {
  const n = values.length;
  let missing = 0;
  for (let i = 0; i < n; i++) if (isMissing(values[i])) missing++;
  const baselineMissing = base.rows > 0 ? base.missing / base.rows : 0;
  const currentMissing = n > 0 ? missing / n : 0;
  const shared = { missing_rate: currentMissing - baselineMissing, baseline_missing: baselineMissing, current_missing: currentMissing };
  return base.kind === 'numeric' ? { ...compareNumeric(base, values), ...shared } : { ...compareCategorical(base, values), ...shared };
}

function compareNumeric(base: FeatureBaseline, values: ArrayLike<unknown>): Pick<FeatureComparison, 'statistic' | 'value' | 'moved'> {
  const cur: number[] = [];
  // A value that is not a number in a numeric feature is a category the training data never
  // had: counted apart so that it moves the distribution instead of vanishing.
  let foreign = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) continue;
    const x = asNumber(v);
    if (x === undefined) foreign++;
    else cur.push(x);
  }
  const sorted = base.sorted!;
  if (sorted.length === 0 || cur.length + foreign === 0) return { statistic: 'jensen_shannon', value: NaN, moved: 'no values to compare' };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let int = true;
  for (const x of cur) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    if (int && !Number.isInteger(x)) int = false;
  }
  const ranges = [{ min: sorted[0]!, max: sorted[sorted.length - 1]!, int: base.int! }];
  if (cur.length > 0) ranges.push({ min, max, int });
  const binning = sharedBinning(ranges)!;
  const b = histogramOn(binning, sorted);
  const c = histogramOn(binning, cur);
  if (foreign > 0) {
    b.push(0);
    c.push(foreign);
  }
  const value = jensenShannonDistance(b, c);
  const mean = cur.length > 0 ? sum / cur.length : NaN;
  const sd = base.std! > 0 ? ` (${signed((mean - base.mean!) / base.std!)} sd)` : '';
  const moved = cur.length > 0 ? `the mean moved from ${fmt(base.mean!)} to ${fmt(mean)}${sd}` : `no value is a number`;
  return { statistic: 'jensen_shannon', value, moved: foreign > 0 ? `${moved}; ${foreign} values are not numbers` : moved };
}

function histogramOn(b: Binning, values: ArrayLike<number>): number[] {
  const counts = new Array<number>(b.bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[binOf(b, values[i]!)]!++;
  return counts;
}

function compareCategorical(base: FeatureBaseline, values: ArrayLike<unknown>): Pick<FeatureComparison, 'statistic' | 'value' | 'moved' | 'new_values'> {
  const cur = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isMissing(v)) cur.set(asCategory(v), (cur.get(asCategory(v)) ?? 0) + 1);
  }
  const baseCounts = base.counts!;
  const labels = [...new Set([...top(baseCounts), ...top(cur)])];
  const countsOf = (m: Map<string, number>) => {
    const shown = labels.map((l) => m.get(l) ?? 0);
    const total = [...m.values()].reduce((a, x) => a + x, 0);
    return { shown, other: total - shown.reduce((a, x) => a + x, 0) };
  };
  const b = countsOf(baseCounts);
  const c = countsOf(cur);
  const names = [...labels];
  if (b.other > 0 || c.other > 0) {
    names.push(OTHER);
    b.shown.push(b.other);
    c.shown.push(c.other);
  }
  if (names.length === 0 || b.shown.every((x) => x === 0) || c.shown.every((x) => x === 0)) return { statistic: 'l_infinity', value: NaN, moved: 'no values to compare', new_values: NaN };
  let unseen = 0;
  let present = 0;
  for (const [v, n] of cur) {
    present += n;
    if (!baseCounts.has(v)) unseen += n;
  }
  const newValues = present > 0 ? unseen / present : 0;
  const { distance, index } = lInfinityDistance(b.shown, c.shown);
  const share = (v: number[]) => v[index]! / v.reduce((x, y) => x + y, 0);
  const name = names[index] === OTHER ? OTHER : `"${names[index]}"`;
  return { statistic: 'l_infinity', value: distance, new_values: newValues, moved: `the value that moved most is ${name} (${pct(share(b.shown))} in training, ${pct(share(c.shown))} now)` };
}

/** The k most frequent values, ties by value (the order profiling's top values use). */
function top(m: Map<string, number>): string[] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, TOP_K)
    .map(([v]) => v);
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
const fmt = (x: number) => fmtNum(x);
export const pct = (x: number) => fmtPct(x);
