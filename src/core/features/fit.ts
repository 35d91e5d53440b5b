/**
 * Fits transforms on the training split only, in SQL: one aggregate query for every numeric
 * and date statistic, one grouped query per categorical vocabulary. Population statistics
 * (stddev_pop), as scikit-learn's StandardScaler uses.
 */
import type { DuckSession } from '../data/duckdb';
import { sqlIdent } from '../data/duckdb';
import { featureTypeOf } from '../data/profile';
import { badInput } from '../errors';
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

export async function fitTransforms(session: DuckSession, specs: readonly FeatureSpec[], opts: FitOptions): Promise<FittedTransforms> {
  const q = { signal: opts.signal };
  const select: string[] = ['count(*) AS rows'];
  specs.forEach((s, i) => {
    const x = `TRY_CAST(${sqlIdent(s.name)} AS DOUBLE)`;
    const t = s.transform;
    switch (t.kind) {
      case 'identity':
      case 'standardize':
      case 'min_max':
      case 'bucketize':
        select.push(`avg(${x}) AS f${i}_mean`, `stddev_pop(${x}) AS f${i}_std`, `min(${x}) AS f${i}_min`, `max(${x}) AS f${i}_max`);
        if (t.kind === 'bucketize' && !t.boundaries) {
          const n = Math.max(2, t.buckets ?? 4);
          const qs = Array.from({ length: n - 1 }, (_, k) => (k + 1) / n);
          select.push(`quantile_cont(${x}, [${qs.join(', ')}]) AS f${i}_q`);
        }
        break;
      case 'log': {
        const l = `ln(${x} + ${t.offset ?? 1})`;
        select.push(`avg(${x}) AS f${i}_mean`, `avg(CASE WHEN ${x} + ${t.offset ?? 1} > 0 THEN ${l} END) AS f${i}_lmean`, `stddev_pop(CASE WHEN ${x} + ${t.offset ?? 1} > 0 THEN ${l} END) AS f${i}_lstd`);
        break;
      }
      case 'date_parts':
        select.push(`avg(year(TRY_CAST(${sqlIdent(s.name)} AS TIMESTAMP))) AS f${i}_ymean`, `stddev_pop(year(TRY_CAST(${sqlIdent(s.name)} AS TIMESTAMP))) AS f${i}_ystd`);
        break;
      case 'one_hot':
      case 'vocabulary':
        break;
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

  const features: FittedFeature[] = [];
  for (const [i, s] of specs.entries()) {
    const t = s.transform;
    const mean = num(r[`f${i}_mean`]) ?? 0;
    switch (t.kind) {
      case 'identity':
        features.push({ name: s.name, kind: 'identity', center: 0, scale: 1, impute: mean, outputs: [s.name] });
        break;
      case 'standardize':
        features.push({ name: s.name, kind: 'standardize', center: mean, scale: spread(r[`f${i}_std`]), impute: mean, outputs: [s.name] });
        break;
      case 'min_max': {
        const min = num(r[`f${i}_min`]) ?? 0;
        features.push({ name: s.name, kind: 'min_max', center: min, scale: spread((num(r[`f${i}_max`]) ?? min) - min), impute: mean, outputs: [s.name] });
        break;
      }
      case 'log':
        features.push({ name: s.name, kind: 'log', offset: t.offset ?? 1, center: num(r[`f${i}_lmean`]) ?? 0, scale: spread(r[`f${i}_lstd`]), impute: mean, outputs: [s.name] });
        break;
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
        const outputs = parts.flatMap((p) =>
          p === 'year' || p === 'weekend'
            ? [`${s.name}.${p}`]
            : Array.from({ length: p === 'month' ? 12 : p === 'day_of_week' ? 7 : 24 }, (_, k) => `${s.name}.${p}=${p === 'month' ? k + 1 : k}`),
        );
        features.push({ name: s.name, kind: 'date_parts', parts, yearCenter: num(r[`f${i}_ymean`]) ?? 0, yearScale: spread(r[`f${i}_ystd`]), outputs });
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
