/**
 * Drift (this span vs the previous one) and skew (serving vs training): each feature with a
 * comparator is profiled in both batches on shared bins and categories (profileDatasets aligns
 * them), then compared with the distances of stats.ts.
 */
import type { DuckSession } from '../data/duckdb';
import { sqlIdent } from '../data/duckdb';
import { profileDatasets, profileRelations, type Relation } from '../data/profile';
import type { ColumnProfile, ProfileResult } from '../data/profileTypes';
import type { DataSource } from '../data/source';
import { listElementType, typedValue, type Batch } from './loadBatch';
import { headerAt, pct, quote } from './checks';
import { jensenShannonDistance, lInfinityDistance, populationStabilityIndex } from './stats';
import { DISTANCE_MEASURES, type Anomaly, type DistanceMeasure, type FeatureSchema } from './types';

export type DistributionCheck = 'drift' | 'skew';

/** Categories compared exactly per feature; rarer ones are pooled into one "other" bucket. */
const TOP_K = 50;
const OTHER = '(other values)';

const MEASURE_NAME: Record<DistanceMeasure, string> = {
  jensen_shannon: 'Jensen-Shannon distance',
  l_infinity: 'L-infinity distance',
  psi: 'PSI',
};

/** Two distributions of one feature on the same bins, with a label per bin. */
interface Aligned {
  labels: string[];
  base: number[];
  cur: number[];
  numeric: boolean;
  /** Numeric bins of one integer each, labelled by that integer. */
  unit: boolean;
}

export async function distributionChecks(
  session: DuckSession,
  data: Batch,
  baseline: Batch,
  features: [string, FeatureSchema][],
  check: DistributionCheck,
  opts: { signal?: AbortSignal } = {},
): Promise<Anomaly[]> {
  const compared = features.filter(([name, f]) => {
    const c = f[check];
    if (!c || Object.keys(c).length === 0) return false;
    return comparable(data, name, f) && comparable(baseline, name, f);
  });
  if (compared.length === 0 || data.rows === 0 || baseline.rows === 0) return [];
  const profile = await profileDatasets(session, typedSource(baseline, compared), typedSource(data, compared), { topK: TOP_K, signal: opts.signal });
  return profileAnomalies(profile, compared, check, (name) => headerAt(data, data.column(name)?.index));
}

/**
 * Drift or skew between two relations of any engines (a database table against its training
 * files, say): each side profiled where it lives, on shared bins and categories.
 */
export async function relationDistributionChecks(
  baseline: Relation,
  data: Relation,
  features: [string, FeatureSchema][],
  check: DistributionCheck,
  opts: { signal?: AbortSignal } = {},
): Promise<Anomaly[]> {
  const compared = features.filter(([, f]) => f[check] && Object.keys(f[check]!).length > 0);
  if (compared.length === 0) return [];
  const project = async (r: Relation): Promise<Relation> => {
    const have = new Set((await r.engine.describe(r.from, { signal: opts.signal })).map((c) => c.name));
    const cols = compared.filter(([n]) => have.has(n)).map(([n]) => r.engine.dialect.ident(n));
    return { ...r, from: r.engine.dialect.subquery(`SELECT ${cols.join(', ')} FROM ${r.from}`) };
  };
  const profile = await profileRelations(await project(baseline), await project(data), { topK: TOP_K, signal: opts.signal });
  if (profile.rows === 0 || (profile.compare?.rows ?? 0) === 0) return [];
  return profileAnomalies(profile, compared, check, () => ({}));
}

/** One measure of one feature between two profiled datasets, against the schema's threshold. */
export interface FeatureDistance {
  feature: string;
  measure: DistanceMeasure;
  /** NaN when either side has no values to compare. */
  value: number;
  threshold: number;
  /** value > threshold: what validation reports as a drift or skew anomaly. */
  exceeded: boolean;
  /** The value or bin whose share moved most, and how the mean moved (validation's wording); empty when not measured. */
  detail: string;
}

/**
 * Every distance a drift or skew check computes between a profile and its compared dataset,
 * flagged or not: validation keeps the exceeded ones, the profile report shows them all.
 * Features whose columns cannot share bins or categories (a changed type) are left out.
 */
export function featureDistances(profile: ProfileResult, compared: [string, FeatureSchema][], check: DistributionCheck): FeatureDistance[] {
  const out: FeatureDistance[] = [];
  for (const [name, f] of compared) {
    const base = profile.columns.find((c) => c.name === name);
    const cur = profile.compare?.columns.find((c) => c.name === name);
    if (!base || !cur) continue;
    const aligned = align(base, cur);
    if (!aligned) continue;
    const comparator = f[check];
    if (!comparator) continue;
    for (const measure of DISTANCE_MEASURES) {
      const limit = comparator[measure]?.threshold;
      if (limit === undefined) continue;
      const value = measureDistance(measure, aligned);
      out.push({ feature: name, measure, value, threshold: limit, exceeded: value > limit, detail: Number.isFinite(value) ? whatMoved(aligned, base, cur, check) : '' });
    }
  }
  return out;
}

export function distanceName(measure: DistanceMeasure): string {
  return MEASURE_NAME[measure];
}

function profileAnomalies(profile: ProfileResult, compared: [string, FeatureSchema][], check: DistributionCheck, at: (name: string) => Partial<Anomaly>): Anomaly[] {
  const between = check === 'skew' ? 'serving and training' : 'this batch and the baseline';
  return featureDistances(profile, compared, check)
    .filter((d) => d.exceeded)
    .map((d) => ({
      feature: d.feature,
      type: check,
      // An error, not a warning: a threshold is the schema owner's own statement of how much
      // movement is too much, and a CI gate that only warns lets a shifted batch reach training
      // or serving unseen. Drift that is expected is accepted by raising the threshold.
      severity: 'error' as const,
      measure: d.measure,
      value: d.value,
      threshold: d.threshold,
      description: `${MEASURE_NAME[d.measure]} between ${between} is ${fmtDistance(d.value, d.threshold)}, above ${fmtDistance(d.threshold, d.value)}; ${d.detail}`,
      ...at(d.feature),
    }));
}

function comparable(batch: Batch, name: string, f: FeatureSchema): boolean {
  const col = batch.column(name);
  return !!col && listElementType(col.duckdbType) === undefined && typedValue(sqlIdent(name), col.duckdbType, f.type) !== undefined;
}

/** The batch's compared features as the schema types them, as a source profileDatasets reads. */
function typedSource(batch: Batch, features: [string, FeatureSchema][]): DataSource {
  const cols = features.map(([name, f]) => `${typedValue(sqlIdent(name), batch.column(name)!.duckdbType, f.type)} AS ${sqlIdent(name)}`);
  // 'parquet' makes profileDatasets read the query in place instead of copying it into a table.
  return { path: batch.source.path, display: batch.source.display, format: 'parquet', scan: `(SELECT ${cols.join(', ')} FROM ${batch.raw})` };
}

function align(base: ColumnProfile, cur: ColumnProfile): Aligned | undefined {
  if (base.histogram && cur.histogram) {
    const e = base.histogram.edges;
    if (e.length !== cur.histogram.edges.length || e.some((x, i) => x !== cur.histogram!.edges[i])) return undefined;
    const unit = base.type === 'int' && e.every((x, i) => i === 0 || x - e[i - 1]! === 1);
    const edge = (x: number) => (base.type === 'timestamp' ? new Date(x).toISOString().slice(0, 10) : fmtEdge(x));
    const labels = base.histogram.counts.map((_, i) => (unit ? String(e[i]! + 0.5) : `${edge(e[i]!)} .. ${edge(e[i + 1]!)}`));
    return { labels, base: base.histogram.counts, cur: cur.histogram.counts, numeric: true, unit };
  }
  if (base.top && cur.top) {
    const labels = [...new Set([...base.top.map((t) => t.value), ...cur.top.map((t) => t.value)])];
    const counts = (c: ColumnProfile) => labels.map((l) => c.top!.find((t) => t.value === l)?.count ?? 0);
    const b = counts(base);
    const c = counts(cur);
    if ((base.otherCount ?? 0) > 0 || (cur.otherCount ?? 0) > 0) {
      labels.push(OTHER);
      b.push(base.otherCount ?? 0);
      c.push(cur.otherCount ?? 0);
    }
    return { labels, base: b, cur: c, numeric: false, unit: false };
  }
  return undefined;
}

function measureDistance(measure: DistanceMeasure, a: Aligned): number {
  if (a.base.every((x) => x === 0) || a.cur.every((x) => x === 0)) return NaN;
  switch (measure) {
    case 'jensen_shannon':
      return jensenShannonDistance(a.base, a.cur);
    case 'l_infinity':
      return lInfinityDistance(a.base, a.cur).distance;
    case 'psi':
      return populationStabilityIndex(a.base, a.cur);
  }
}

/** What a person looks at first: the value whose share moved most, or how far the mean moved. */
function whatMoved(a: Aligned, base: ColumnProfile, cur: ColumnProfile, check: DistributionCheck): string {
  const { index } = lInfinityDistance(a.base, a.cur);
  const share = (v: number[]) => v[index]! / v.reduce((x, y) => x + y, 0);
  const [was, now] = check === 'skew' ? ['in training', 'in serving'] : ['before', 'now'];
  if (!a.numeric) {
    return `the value that moved most is ${a.labels[index] === OTHER ? OTHER : quote(a.labels[index]!)} (${pct(share(a.base))} ${was}, ${pct(share(a.cur))} ${now})`;
  }
  const bin = `the ${a.unit ? 'value' : 'bin'} that moved most is ${a.labels[index]} (${pct(share(a.base))} ${was}, ${pct(share(a.cur))} ${now})`;
  if (typeof base.mean === 'number' && typeof cur.mean === 'number') {
    const sd = typeof base.std === 'number' && base.std > 0 ? ` (${signed((cur.mean - base.mean) / base.std)} sd)` : '';
    return `the mean moved from ${fmtNum(base.mean)} to ${fmtNum(cur.mean)}${sd}; ${bin}`;
  }
  return bin;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
}

function fmtNum(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}

function fmtEdge(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

/** Two decimals, or three when two would print a distance equal to its threshold. */
export function fmtDistance(x: number, other: number): string {
  return x.toFixed(2) === other.toFixed(2) ? x.toFixed(3) : x.toFixed(2);
}
