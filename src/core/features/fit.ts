/**
 * Fits transforms on the training split only, in SQL: two aggregate passes for every numeric
 * and date statistic (ranges and quantiles, then exact sums: exactMoments.ts), one grouped query
 * per categorical vocabulary. Population statistics, as scikit-learn's StandardScaler uses.
 */
import type { DuckSession } from '../data/duckdb';
import { sqlIdent } from '../data/duckdb';
import { featureTypeOf } from '../data/profile';
import { badInput } from '../errors';
import { momentSelect, momentsOf, rangeOf, rangeSelect } from './exactMoments';
import { DATE_PARTS, type FeatureSpec, type FittedFeature, type FittedTransforms } from './spec';

export interface FitOptions {
  /** A SQL relation holding the training split only: a table, a view or a subquery in parentheses. */
  relation: string;
  /** How the relation should be named in messages (e.g. the dataset path). */
  display?: string;
  signal?: AbortSignal;
}

const DEFAULT_MAX_VALUES = 100;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
/** A zero or missing spread would divide by zero: such a feature is constant and maps to 0. */
const spread = (v: unknown) => {
  const n = num(v);
  return n !== null && Number.isFinite(n) && n > 0 ? n : 1;
};

/** Each numeric statistic the transforms need, as a SQL expression over one row. */
function momentExprs(specs: readonly FeatureSpec[]): Map<string, string> {
  const exprs = new Map<string, string>();
  specs.forEach((s, i) => {
    const x = `TRY_CAST(${sqlIdent(s.name)} AS DOUBLE)`;
    const t = s.transform;
    if (t.kind === 'one_hot' || t.kind === 'vocabulary') return;
    if (t.kind === 'date_parts') {
      exprs.set(`f${i}_y`, `CAST(year(TRY_CAST(${sqlIdent(s.name)} AS TIMESTAMP)) AS DOUBLE)`);
      return;
    }
    exprs.set(`f${i}_x`, x);
    if (t.kind === 'log') exprs.set(`f${i}_l`, `(CASE WHEN ${x} + ${t.offset ?? 1} > 0 THEN ln(${x} + ${t.offset ?? 1}) END)`);
  });
  return exprs;
}

export async function fitTransforms(session: DuckSession, specs: readonly FeatureSpec[], opts: FitOptions): Promise<FittedTransforms> {
  const q = { signal: opts.signal };
  const exprs = momentExprs(specs);
  // Pass one: the row count, each statistic's range (the grid of its exact sums) and the quantiles.
  const select: string[] = ['count(*) AS rows', ...[...exprs].flatMap(([key, e]) => rangeSelect(e, key))];
  specs.forEach((s, i) => {
    const t = s.transform;
    if (t.kind === 'bucketize' && !t.boundaries) {
      const n = Math.max(2, t.buckets ?? 4);
      const qs = Array.from({ length: n - 1 }, (_, k) => (k + 1) / n);
      select.push(`quantile_cont(TRY_CAST(${sqlIdent(s.name)} AS DOUBLE), [${qs.join(', ')}]) AS f${i}_q`);
    }
  });
  let r: Record<string, unknown>;
  try {
    r = (await session.rows(`SELECT ${select.join(', ')} FROM ${opts.relation}`, q))[0] ?? {};
  } catch (e) {
    const missing = /Referenced column "([^"]+)" not found/.exec(String(e))?.[1];
    if (missing) throw badInput(opts.display, `has no column "${missing}" for the feature of that name`);
    throw e;
  }
  const rows = num(r['rows']) ?? 0;
  if (rows === 0) throw badInput(opts.display, 'the training split is empty: nothing to fit the transforms on');
  // Pass two: means and spreads from exact integer sums, the same in every process (exactMoments.ts).
  const ranges = new Map([...exprs.keys()].map((key) => [key, rangeOf(r, key)]));
  const sums = [...exprs].flatMap(([key, e]) => momentSelect(e, key, ranges.get(key)!) ?? []);
  const summed =
    sums.length > 0
      ? ((await session.rows(`SELECT ${sums.flatMap((m) => m.outer).join(', ')} FROM (SELECT ${sums.map((m) => m.inner).join(', ')} FROM ${opts.relation})`, q))[0] ?? {})
      : {};
  const moments = (key: string) => momentsOf(summed, key, ranges.get(key) ?? { lo: null, hi: null });

  const features: FittedFeature[] = [];
  for (const [i, s] of specs.entries()) {
    const t = s.transform;
    const x = t.kind === 'date_parts' ? undefined : moments(`f${i}_x`);
    const mean = x?.mean ?? 0;
    switch (t.kind) {
      case 'identity':
        features.push({ name: s.name, kind: 'identity', center: 0, scale: 1, impute: mean, outputs: [s.name] });
        break;
      case 'standardize':
        features.push({ name: s.name, kind: 'standardize', center: mean, scale: spread(x?.std), impute: mean, outputs: [s.name] });
        break;
      case 'min_max': {
        const { lo, hi } = ranges.get(`f${i}_x`)!;
        const min = lo ?? 0;
        features.push({ name: s.name, kind: 'min_max', center: min, scale: spread((hi ?? min) - min), impute: mean, outputs: [s.name] });
        break;
      }
      case 'log': {
        const l = moments(`f${i}_l`);
        features.push({ name: s.name, kind: 'log', offset: t.offset ?? 1, center: l.mean ?? 0, scale: spread(l.std), impute: mean, outputs: [s.name] });
        break;
      }
      case 'bucketize': {
        const fitted = Array.isArray(r[`f${i}_q`]) ? (r[`f${i}_q`] as unknown[]).map((v) => Number(v)) : [];
        // Equal quantiles (a heavy value) would make empty buckets; keep each boundary once.
        const boundaries = [...new Set(t.boundaries ?? fitted)].sort((a, b) => a - b);
        const names = [`${s.name}<${boundaries[0]}`, ...boundaries.map((b, k) => (k + 1 < boundaries.length ? `${s.name}[${b},${boundaries[k + 1]})` : `${s.name}>=${b}`))];
        features.push({ name: s.name, kind: 'bucketize', boundaries, impute: mean, outputs: names });
        break;
      }
      case 'one_hot':
      case 'vocabulary': {
        const limit = t.max_values ?? DEFAULT_MAX_VALUES;
        const col = sqlIdent(s.name);
        // Most frequent first, ties by value: the same vocabulary from the same data, always.
        const vocab = await session.rows(
          `SELECT ${col}::VARCHAR AS v, count(*) AS n FROM ${opts.relation} WHERE ${col} IS NOT NULL AND ${col}::VARCHAR <> '' GROUP BY 1 ORDER BY n DESC, v ASC LIMIT ${limit}`,
          q,
        );
        const values = vocab.map((row) => String(row['v']));
        const oovBuckets = t.kind === 'vocabulary' ? Math.max(1, t.oov_buckets ?? 1) : 0;
        const outputs = [...values.map((v) => `${s.name}=${v}`), ...Array.from({ length: oovBuckets }, (_, k) => `${s.name}=<oov${oovBuckets > 1 ? k : ''}>`)];
        features.push({ name: s.name, kind: t.kind, values, oovBuckets, outputs });
        break;
      }
      case 'date_parts': {
        const parts = t.parts ?? [...DATE_PARTS];
        const year = moments(`f${i}_y`);
        const outputs = parts.flatMap((p) =>
          p === 'year' || p === 'weekend'
            ? [`${s.name}.${p}`]
            : Array.from({ length: p === 'month' ? 12 : p === 'day_of_week' ? 7 : 24 }, (_, k) => `${s.name}.${p}=${p === 'month' ? k + 1 : k}`),
        );
        features.push({ name: s.name, kind: 'date_parts', parts, yearCenter: year.mean ?? 0, yearScale: spread(year.std), outputs });
        break;
      }
    }
  }
  // Each input's column type, saved with the transforms: the contract serving checks requests against.
  const described = await session.rows(`DESCRIBE SELECT ${specs.map((s) => sqlIdent(s.name)).join(', ')} FROM ${opts.relation}`, q);
  const typeOf = new Map(described.map((d) => [String(d['column_name']), featureTypeOf(String(d['column_type']))]));
  features.forEach((f) => {
    const type = typeOf.get(f.name);
    if (type) f.type = type;
  });
  return { version: 1, features, width: features.reduce((w, f) => w + f.outputs.length, 0), fittedOn: rows };
}
