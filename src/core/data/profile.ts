import { badInput, cancelled, isProdmlError } from '../errors';
import { DuckSession, type QueryOptions, type Row } from './duckdb';
import { duckEngine } from './duckEngine';
import type { Dialect, Engine } from './engine';
import { explainReadError, findRaggedLine, type DataSource } from './source';
import {
  QUANTILE_KEYS,
  QUANTILE_LEVELS,
  type ColumnProfile,
  type ColumnWarning,
  type DatasetProfile,
  type FeatureType,
  type ProfileResult,
} from './profileTypes';

export interface ProfileOptions {
  signal?: AbortSignal;
  /** Overall progress in [0, 1] with a short label of the phase. */
  onProgress?: (fraction: number, phase: string) => void;
  /** Bins for continuous histograms. */
  bins?: number;
  /** Reservoir size for quantiles. */
  sampleSize?: number;
  topK?: number;
}

/**
 * What the profiler reads: a relation (a table, or a parenthesised query) of some engine. Files
 * are DuckDB tables or views; database datasets are their table or query in their own engine.
 */
export interface Relation {
  engine: Engine;
  from: string;
  display: string;
  format: string;
  /** Files only: for reader errors that name a line. */
  file?: DataSource;
  /** Turns an engine error into one a person can act on. */
  explain(e: unknown): Promise<Error>;
}

interface ColumnPlan {
  name: string;
  ident: string;
  duckdbType: string;
  type: FeatureType;
}

/** Pass-one aggregates of one column, before binning. */
interface ColumnStats {
  plan: ColumnPlan;
  count: number;
  distinct: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  quantiles: (number | null)[] | null;
  trueCount: number;
}

/** Equal-width bins from `lo`: bin k is [lo + k·width, lo + (k+1)·width), the last one closed. */
export interface Binning {
  lo: number;
  width: number;
  bins: number;
}

const DEFAULTS = { bins: 20, sampleSize: 8192, topK: 10 };
/** Integer columns spanning at most this many values get one bin per value. */
const MAX_UNIT_BINS = 40;
/** Columns whose approximate distinct count is at most this get an exact count in pass two. */
const EXACT_DISTINCT_LIMIT = 10_000;

/**
 * Profiles a dataset, and optionally a second one on the same bins and categories so they can
 * be overlaid. Each dataset is read in two fused passes over all columns: one for counts,
 * moments, extrema, reservoir quantiles, HyperLogLog distinct counts and approximate top-k;
 * one for histograms (whose edges need pass one's min/max) and exact top-value counts.
 */
export async function profileDatasets(
  session: DuckSession,
  base: DataSource | Relation,
  compare?: DataSource | Relation,
  options: ProfileOptions = {},
): Promise<ProfileResult> {
  const engine = duckEngine(session);
  const tables: string[] = [];
  const read = options.signal ? { signal: options.signal } : {};
  try {
    const relations: Relation[] = [];
    for (const [i, src] of (compare ? [base, compare] : [base]).entries()) {
      if ('engine' in src) {
        relations.push(src);
        continue;
      }
      const table = `prodml_profile_${i}`;
      tables.push(table);
      await readIntoTable(session, src, table, read);
      relations.push({ engine, from: table, display: src.display, format: src.format, file: src, explain: (e) => explainReadError(e, src) });
    }
    return await profileRelations(relations[0]!, relations[1], options);
  } catch (e) {
    if (options.signal?.aborted) throw cancelled();
    throw e;
  } finally {
    for (const t of tables) {
      await session.run(`DROP VIEW IF EXISTS ${t}`).catch(() => undefined);
      await session.run(`DROP TABLE IF EXISTS ${t}_data`).catch(() => undefined);
    }
  }
}

/** A file as a relation DuckDB reads in place (each pass scans it again: right for a baseline, not for a big CSV). */
export function fileRelation(session: DuckSession, src: DataSource): Relation {
  return { engine: duckEngine(session), from: `(SELECT * FROM ${src.scan})`, display: src.display, format: src.format, file: src, explain: (e) => explainReadError(e, src) };
}

/**
 * The profile of one relation (and a second on the same bins), each pass one aggregate query
 * pushed down into the relation's own engine: only aggregates come back.
 */
export async function profileRelations(base: Relation, compare?: Relation, options: ProfileOptions = {}): Promise<ProfileResult> {
  const opts = { ...DEFAULTS, ...options };
  const sources = compare ? [base, compare] : [base];
  const started = sources.map(() => 0);
  const elapsed = sources.map(() => 0);
  const steps = sources.length * 4;
  let step = 0;
  const progressFor = (phase: string): QueryOptions => {
    const first = step++;
    return {
      signal: opts.signal,
      onProgress: (f) => opts.onProgress?.((first + f) / steps, phase),
    };
  };

  try {
    const stats: { rows: number; columns: ColumnStats[] }[] = [];
    for (const [i, src] of sources.entries()) {
      started[i] = performance.now();
      progressFor(`Reading ${src.display}`);
      stats.push(await passOne(src, opts, progressFor(`Profiling ${src.display}`)));
      elapsed[i] = performance.now() - (started[i] ?? 0);
    }
    const binnings = alignBinnings(stats.map((s) => s.columns), opts.bins);
    const counted: Counted[] = [];
    for (const [i, src] of sources.entries()) {
      const t0 = performance.now();
      counted.push(await passTwo(src, stats[i]!.columns, binnings, opts.topK, progressFor(`Binning ${src.display}`)));
      elapsed[i] = (elapsed[i] ?? 0) + performance.now() - t0;
    }
    const topSets = alignTopValues(stats.map((s) => s.columns), counted, opts.topK);
    const profiles: DatasetProfile[] = [];
    for (const [i, src] of sources.entries()) {
      const t0 = performance.now();
      const s = stats[i]!;
      profiles.push(await passThree(src, s.rows, s.columns, binnings, counted[i]!, topSets, progressFor(`Counting ${src.display}`)));
      profiles[i]!.elapsedMs = Math.round((elapsed[i] ?? 0) + performance.now() - t0);
    }
    opts.onProgress?.(1, 'Done');
    const [first, second] = profiles;
    return second ? { ...first!, compare: second } : first!;
  } catch (e) {
    if (opts.signal?.aborted) throw cancelled();
    throw e;
  }
}

/**
 * Parquet is read in place (columnar, cheap to scan twice). Text formats are parsed once into a
 * view over DuckDB's own columnar copy; parsing is their dominant cost.
 */
async function readIntoTable(session: DuckSession, src: DataSource, table: string, q: QueryOptions): Promise<void> {
  try {
    if (src.format === 'parquet') {
      await session.run(`CREATE OR REPLACE TEMP VIEW ${table} AS SELECT * FROM ${src.scan}`, q);
    } else {
      await session.run(`CREATE OR REPLACE TEMP TABLE ${table}_data AS SELECT * FROM ${src.scan}`, q);
      await session.run(`CREATE OR REPLACE TEMP VIEW ${table} AS SELECT * FROM ${table}_data`);
    }
  } catch (e) {
    if (q.signal?.aborted) throw cancelled();
    throw await explainReadError(e, src);
  }
  const cols = await duckEngine(session).describe(table);
  // DuckDB's sniffer falls back to one column named after the whole header line when rows are
  // ragged; that is a malformed file, not a one-column dataset.
  if ((src.format === 'csv' || src.format === 'tsv') && cols.length === 1 && /[,;\t|]/.test(cols[0]!.name)) {
    throw (await findRaggedLine(src)) ?? badInput(src.display, 'could not detect the CSV layout (delimiter, quoting, header)');
  }
}

export function featureTypeOf(duckdbType: string): FeatureType {
  const t = duckdbType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t)) return 'int';
  if (/^(FLOAT|DOUBLE|REAL|DECIMAL)/.test(t)) return 'float';
  if (t === 'BOOLEAN') return 'bool';
  if (/^(DATE|TIMESTAMP)/.test(t)) return 'timestamp';
  return 'string';
}

const NATIVE_INT = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/;
const NATIVE_FLOAT = /^(FLOAT|DOUBLE|REAL)$/;

/** An integer or a DATE (as days since the epoch) for range arithmetic. */
function ordinal(v: unknown, duckdbType: string): number | null {
  if (v === null || v === undefined) return null;
  if (duckdbType === 'DATE') {
    const t = v instanceof Date ? v.getTime() : Date.parse(String(v));
    return Number.isFinite(t) ? Math.round(t / 86_400_000) : null;
  }
  return num(v);
}

/** The column as a double (numbers) or epoch milliseconds (timestamps). */
function numericExpr(p: ColumnPlan, d: Dialect): string {
  return p.type === 'timestamp' ? d.epochMs(p.ident, p.duckdbType) : d.toDouble(p.ident);
}

function stringExpr(p: ColumnPlan, d: Dialect): string {
  return p.duckdbType === 'VARCHAR' ? p.ident : d.toText(p.ident);
}

async function passOne(src: Relation, opts: typeof DEFAULTS, q: QueryOptions): Promise<{ rows: number; columns: ColumnStats[] }> {
  const d = src.engine.dialect;
  const table = src.from;
  let described;
  try {
    described = await src.engine.describe(table, { signal: q.signal });
  } catch (e) {
    if (q.signal?.aborted || isProdmlError(e)) throw e;
    throw await src.explain(e);
  }
  const plans: ColumnPlan[] = described.map((c) => ({
    name: c.name,
    ident: d.ident(c.name),
    duckdbType: c.duckdbType,
    type: featureTypeOf(c.duckdbType),
  }));
  // Integers and dates whose min..max spans few values need no HyperLogLog: pass two counts their
  // values exactly. Their native min/max come from Parquet statistics or zone maps, almost free.
  const ranged = plans.map((p, i) => ({ p, i })).filter(({ p }) => NATIVE_INT.test(p.duckdbType) || p.duckdbType === 'DATE');
  const span = new Map<number, number>();
  if (ranged.length > 0) {
    const sql = `SELECT ${ranged.map(({ p, i }) => `min(${p.ident}) AS c${i}_lo, max(${p.ident}) AS c${i}_hi`).join(', ')} FROM ${table}`;
    const [r] = await readOrExplain(src, sql, { signal: q.signal });
    for (const { p, i } of ranged) {
      const lo = ordinal(r?.[`c${i}_lo`], p.duckdbType);
      const hi = ordinal(r?.[`c${i}_hi`], p.duckdbType);
      if (lo !== null && hi !== null && hi - lo + 1 <= EXACT_DISTINCT_LIMIT) span.set(i, hi - lo + 1);
    }
  }
  const distinctExpr = (p: ColumnPlan, i: number) => (span.has(i) ? `${span.get(i)} AS c${i}_d` : `${d.distinct(p.ident).sql} AS c${i}_d`);
  const levels = QUANTILE_KEYS.map((k) => QUANTILE_LEVELS[k]);

  const select: string[] = ['count(*) AS n_rows'];
  plans.forEach((p, i) => {
    select.push(`count(${p.ident}) AS c${i}_n`);
    if (p.type === 'int' || p.type === 'float' || p.type === 'timestamp') {
      const v = numericExpr(p, d);
      // Native min/max read Parquet statistics and skip the cast; DECIMAL and HUGEINT come back
      // as objects, so those are cast.
      const extreme = p.type !== 'timestamp' && (NATIVE_INT.test(p.duckdbType) || NATIVE_FLOAT.test(p.duckdbType)) ? p.ident : v;
      const quantiles = d.quantiles(v, levels, opts.sampleSize);
      select.push(
        distinctExpr(p, i),
        `min(${extreme}) AS c${i}_min`,
        `max(${extreme}) AS c${i}_max`,
        ...(quantiles.array ? [`${quantiles.exprs[0]} AS c${i}_q`] : quantiles.exprs.map((e, j) => `${e} AS c${i}_q${j}`)),
      );
      if (p.type !== 'timestamp') select.push(`avg(${v}) AS c${i}_mean`, `${d.stddev(v, table)} AS c${i}_std`);
    } else if (p.type === 'bool') {
      select.push(`${d.countIf(p.ident)} AS c${i}_true`, `count(DISTINCT ${p.ident}) AS c${i}_d`);
    } else {
      select.push(`${d.distinct(p.ident).sql} AS c${i}_d`);
    }
  });
  const [row] = await readOrExplain(src, `SELECT ${select.join(',\n  ')} FROM ${table}`, q);
  const r = row ?? {};
  const rows = num(r['n_rows']) ?? 0;
  if (rows === 0) {
    // The sniffer can read a file with ragged rows as "header only"; say which line is ragged.
    const ragged = src.file && (src.format === 'csv' || src.format === 'tsv') ? await findRaggedLine(src.file) : undefined;
    if (ragged) throw ragged;
    throw badInput(src.display, plans.length > 0 ? 'has a header but no data rows' : 'has no data');
  }
  const columns = plans.map((plan, i): ColumnStats => {
    const count = num(r[`c${i}_n`]) ?? 0;
    const quantiles = r[`c${i}_q`] ?? (r[`c${i}_q0`] !== undefined ? levels.map((_, j) => r[`c${i}_q${j}`]) : undefined);
    return {
      plan,
      count,
      distinct: Math.min(num(r[`c${i}_d`]) ?? 0, count),
      mean: num(r[`c${i}_mean`]),
      std: num(r[`c${i}_std`]),
      min: num(r[`c${i}_min`]),
      max: num(r[`c${i}_max`]),
      quantiles: Array.isArray(quantiles) ? quantiles.map(num) : null,
      trueCount: num(r[`c${i}_true`]) ?? 0,
    };
  });
  return { rows, columns };
}

function binKey(p: ColumnPlan): string | undefined {
  if (p.type === 'timestamp') return `time:${p.name}`;
  if (p.type === 'int' || p.type === 'float') return `number:${p.name}`;
  return undefined;
}

/** One binning per column name and kind, shared by every dataset that has the column. */
function alignBinnings(datasets: ColumnStats[][], bins: number): Map<string, Binning> {
  const out = new Map<string, Binning>();
  const byName = new Map<string, ColumnStats[]>();
  // Numbers bin with numbers and dates with dates: a column whose type changed between the
  // datasets (e.g. numbers in training, words in serving) gets its own binning, if any.
  for (const cols of datasets) {
    for (const c of cols) {
      const key = binKey(c.plan);
      if (key) byName.set(key, [...(byName.get(key) ?? []), c]);
    }
  }
  for (const [name, cols] of byName) {
    const binning = sharedBinning(
      cols.map((c) => ({ min: c.min, max: c.max, int: c.plan.type === 'int' })),
      bins,
    );
    if (binning) out.set(name, binning);
  }
  return out;
}

/**
 * The bins one numeric column gets across datasets (each given by its min, max and whether it
 * is an integer column): one bin per value for integers spanning at most 40 values, else `bins`
 * equal widths over the union of the ranges. Drift and skew statistics compare on these bins,
 * so every caller that wants the same statistic as validation bins through here.
 */
export function sharedBinning(ranges: readonly { min: number | null; max: number | null; int: boolean }[], bins = DEFAULTS.bins): Binning | undefined {
  const mins = ranges.map((c) => c.min).filter((v): v is number => v !== null);
  const maxs = ranges.map((c) => c.max).filter((v): v is number => v !== null);
  if (mins.length === 0 || maxs.length === 0) return undefined;
  const lo = Math.min(...mins);
  const hi = Math.max(...maxs);
  const allInt = ranges.every((c) => c.int);
  if (allInt && hi - lo + 1 <= MAX_UNIT_BINS) return { lo: lo - 0.5, width: 1, bins: hi - lo + 1 };
  if (hi === lo) return { lo: lo - 0.5, width: 1, bins: 1 };
  return { lo, width: (hi - lo) / bins, bins };
}

/** The bin of x as profiling's SQL computes it: floor((x - lo) / width), folded into [0, bins). */
export function binOf(b: Binning, x: number): number {
  return Math.min(Math.max(Math.floor((x - b.lo) * (1 / b.width)), 0), b.bins - 1);
}

/** The union of each dataset's top values, so compared bars line up category by category. */
function alignTopValues(datasets: ColumnStats[][], counted: Counted[], topK: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  datasets.forEach((cols, d) => {
    cols.forEach((c, i) => {
      if (c.plan.type !== 'string') return;
      const exact = counted[d]?.values.get(i);
      const mine = exact
        ? [...exact].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, topK).map(([v]) => v)
        : (counted[d]?.approxTop.get(i) ?? []);
      const merged = [...(out.get(c.plan.name) ?? [])];
      for (const v of mine) if (!merged.includes(v)) merged.push(v);
      out.set(c.plan.name, merged.slice(0, topK * 2));
    });
  });
  return out;
}

/** Pass two's counts of one dataset, before top values are aligned across datasets. */
interface Counted {
  hist: Map<number, [unknown, number][]>;
  /** Exact value counts of low-cardinality columns. */
  values: Map<number, Map<string, number>>;
  /** Approximate top values of strings with too many values to count. */
  approxTop: Map<number, string[]>;
}

async function passTwo(
  src: Relation,
  stats: ColumnStats[],
  binnings: Map<string, Binning>,
  topK: number,
  q: QueryOptions,
): Promise<Counted> {
  // One scan counts, by GROUPING SETS, every numeric column's histogram bins and every
  // low-cardinality column's values: the groups of a value set are its exact distinct count and,
  // for strings, its exact top counts.
  //
  // The bin is floor((x - lo) * bins / (hi - lo)), as numpy computes it, left unclamped: every
  // value lies in [lo, hi] (the edges span all datasets), so only x = hi lands on index `bins`,
  // folded into the last (closed) bin below. Clamping in SQL with least/greatest costs more than
  // the counting, and greatest() would file NULLs in bin 0.
  const d = src.engine.dialect;
  const table = src.from;
  const sets: { alias: string; i: number; kind: 'bin' | 'value'; bins?: number; expr: string }[] = [];
  stats.forEach((s, i) => {
    const key = binKey(s.plan);
    const b = key ? binnings.get(key) : undefined;
    if (b && s.count > 0) {
      sets.push({ alias: `b${i}`, i, kind: 'bin', bins: b.bins, expr: d.floorInt(`(${numericExpr(s.plan, d)} - (${b.lo})) * ${1 / b.width}`) });
    }
    if (s.plan.type !== 'bool' && s.count > 0 && s.distinct <= EXACT_DISTINCT_LIMIT) {
      sets.push({ alias: `v${i}`, i, kind: 'value', expr: s.plan.type === 'string' ? stringExpr(s.plan, d) : s.plan.ident });
    }
  });
  const hist = new Map<number, [unknown, number][]>();
  const values = new Map<number, Map<string, number>>();
  // Each result row belongs to one set and holds its group's value and count.
  const groups: { set: (typeof sets)[number]; v: unknown; n: number }[] = [];
  if (sets.length > 0 && d.groupingSets) {
    const cols = sets.map((x) => x.alias);
    const sql = `SELECT ${cols.join(', ')}, count(*) AS n FROM ${d.subquery(`SELECT ${sets.map((x) => `${x.expr} AS ${x.alias}`).join(',\n  ')} FROM ${table}`)} GROUP BY GROUPING SETS (${cols.map((c) => `(${c})`).join(', ')})`;
    for (const r of await readOrExplain(src, sql, q)) {
      // The one column that is not NULL names the set (all-NULL rows count missing values).
      const set = sets.find((x) => r[x.alias] !== null && r[x.alias] !== undefined);
      if (set) groups.push({ set, v: r[set.alias], n: num(r['n']) ?? 0 });
    }
  } else {
    // Engines without GROUPING SETS: one GROUP BY per set.
    for (const set of sets) {
      const sql = `SELECT ${set.expr} AS prodml_k, count(*) AS prodml_n FROM ${table} GROUP BY ${set.expr}`;
      for (const r of await readOrExplain(src, sql, q)) {
        if (r['prodml_k'] !== null && r['prodml_k'] !== undefined) groups.push({ set, v: r['prodml_k'], n: num(r['prodml_n']) ?? 0 });
      }
    }
  }
  {
    for (const { set, v, n } of groups) {
      if (set.kind === 'bin') {
        const idx = Math.min(Math.max(Number(v), 0), set.bins! - 1);
        hist.set(set.i, [...(hist.get(set.i) ?? []), [idx, n]]);
      } else {
        const m = values.get(set.i) ?? new Map<string, number>();
        m.set(String(v), n);
        values.set(set.i, m);
      }
    }
  }

  // Strings with too many values to group: their approximate top values, counted in pass three.
  const approxTop = new Map<number, string[]>();
  const wide = stats.map((s, i) => ({ s, i })).filter(({ s, i }) => s.plan.type === 'string' && s.count > 0 && !values.has(i));
  if (wide.length > 0 && d.approxTopK(d.ident('x'), topK) !== undefined) {
    const [r] = await readOrExplain(src, `SELECT ${wide.map(({ s, i }) => `${d.approxTopK(stringExpr(s.plan, d), topK)} AS c${i}`).join(', ')} FROM ${table}`, q);
    for (const { i } of wide) {
      const top = r?.[`c${i}`];
      approxTop.set(i, Array.isArray(top) ? top.filter((v): v is string => typeof v === 'string') : []);
    }
  } else {
    // No top-k sketch in this engine: the k most frequent values, counted exactly.
    for (const { s, i } of wide) {
      const x = stringExpr(s.plan, d);
      const rows = await readOrExplain(src, `SELECT ${x} AS prodml_k, count(*) AS prodml_n FROM ${table} WHERE ${s.plan.ident} IS NOT NULL GROUP BY ${x} ORDER BY prodml_n DESC, prodml_k ${d.limit(topK)}`, q);
      approxTop.set(i, rows.map((r) => String(r['prodml_k'])));
    }
  }
  return { hist, values, approxTop };
}

/** Exact counts of the aligned top values where pass two could not count every value, then each column's profile. */
async function passThree(
  src: Relation,
  rows: number,
  stats: ColumnStats[],
  binnings: Map<string, Binning>,
  counted: Counted,
  topSets: Map<string, string[]>,
  q: QueryOptions,
): Promise<DatasetProfile> {
  const { hist, values } = counted;
  const d = src.engine.dialect;
  const select: string[] = [];
  stats.forEach((s, i) => {
    const tops = topSets.get(s.plan.name);
    if (s.plan.type !== 'string' || values.has(i) || !tops || tops.length === 0) return;
    const x = stringExpr(s.plan, d);
    if (d.name === 'duckdb') {
      select.push(`histogram_exact(${x}, [${tops.map(d.string).join(', ')}]::VARCHAR[]) AS c${i}_top`);
      // histogram_exact files every other value under '' too, so a real '' is counted apart.
      if (tops.includes('')) select.push(`count_if(${x} = '') AS c${i}_empty`);
    } else {
      tops.forEach((t, j) => select.push(`${d.countIf(`${x} = ${d.string(t)}`)} AS c${i}_t${j}`));
    }
  });
  const r: Row = select.length > 0 ? ((await readOrExplain(src, `SELECT ${select.join(',\n  ')} FROM ${src.from}`, q))[0] ?? {}) : {};
  const columns = stats.map((s, i) => {
    const tops = topSets.get(s.plan.name) ?? [];
    const exact = values.get(i);
    let topCounts: [unknown, number][];
    if (exact) topCounts = tops.filter((t) => exact.has(t)).map((t) => [t, exact.get(t)!]);
    else {
      if (d.name === 'duckdb') {
        topCounts = mapEntries(r[`c${i}_top`]).filter(([k]) => k !== '' && tops.includes(String(k)));
        const empty = num(r[`c${i}_empty`]);
        if (empty !== null) topCounts.push(['', empty]);
      } else {
        topCounts = tops.map((t, j) => [t, num(r[`c${i}_t${j}`]) ?? 0]);
      }
    }
    const key = binKey(s.plan);
    const column = finishColumn({ ...s, distinct: exact ? exact.size : s.distinct }, rows, key ? binnings.get(key) : undefined, hist.get(i) ?? [], topCounts);
    column.distinctExact = exact !== undefined || s.plan.type === 'bool';
    return column;
  });
  return { source: src.display, format: src.format, rows, columns, elapsedMs: 0 };
}

async function readOrExplain(src: Relation, sql: string, q: QueryOptions): Promise<Row[]> {
  try {
    return await src.engine.rows(sql, q);
  } catch (e) {
    if (q.signal?.aborted || isProdmlError(e)) throw e;
    throw await src.explain(e);
  }
}

/** DuckDB returns MAPs as [{key, value}] entries. */
function mapEntries(v: unknown): [unknown, number][] {
  if (!Array.isArray(v)) return [];
  return v.map((e: { key: unknown; value: unknown }) => [e.key, num(e.value) ?? 0]);
}

function finishColumn(s: ColumnStats, rows: number, b: Binning | undefined, hist: [unknown, number][], top: [unknown, number][]): ColumnProfile {
  const p = s.plan;
  const col: ColumnProfile = {
    name: p.name,
    type: p.type,
    duckdbType: p.duckdbType,
    count: s.count,
    missing: rows - s.count,
    distinct: s.distinct,
    distinctExact: false,
    warnings: [],
  };
  const isTime = p.type === 'timestamp';
  if (p.type === 'int' || p.type === 'float' || isTime) {
    const show = (v: number | null) => (v === null ? null : isTime ? new Date(v).toISOString() : v);
    if (!isTime) {
      col.mean = s.mean;
      col.std = s.std;
    }
    col.min = show(s.min);
    col.max = show(s.max);
    if (s.quantiles) {
      col.quantiles = {};
      QUANTILE_KEYS.forEach((k, j) => {
        const v = show(s.quantiles?.[j] ?? null);
        if (v !== null) col.quantiles![k] = v;
      });
    }
    if (b) {
      const counts = new Array<number>(b.bins).fill(0);
      for (const [k, c] of hist) counts[Number(k)] = (counts[Number(k)] ?? 0) + c;
      col.histogram = { edges: Array.from({ length: b.bins + 1 }, (_, k) => roundEdge(b.lo + k * b.width)), counts };
    }
  } else if (p.type === 'bool') {
    col.mean = s.count > 0 ? s.trueCount / s.count : null;
    col.top = [
      { value: 'true', count: s.trueCount },
      { value: 'false', count: s.count - s.trueCount },
    ].sort((a, c) => c.count - a.count);
    col.otherCount = 0;
  } else {
    col.top = top
      .map(([value, count]) => ({ value: String(value), count }))
      .filter((t) => t.count > 0)
      .sort((a, c) => c.count - a.count || a.value.localeCompare(c.value));
    col.otherCount = s.count - col.top.reduce((acc, t) => acc + t.count, 0);
  }
  col.warnings = columnWarnings(col, rows);
  return col;
}

/** Edges like 0.1 + 3 * 0.2 print as 0.7000000000000001; 12 significant digits is plenty for a bin edge. */
function roundEdge(x: number): number {
  return Number(x.toPrecision(12));
}

export function columnWarnings(c: ColumnProfile, rows: number): ColumnWarning[] {
  const w: ColumnWarning[] = [];
  const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
  if (c.count === 0) {
    w.push({ code: 'all_missing', message: `All ${rows} values are missing` });
    return w;
  }
  const missingFraction = c.missing / rows;
  if (missingFraction >= 0.5) w.push({ code: 'mostly_missing', message: `${pct(missingFraction)} of values are missing` });
  if (c.distinct <= 1) {
    const only = c.top?.[0]?.value ?? c.min;
    w.push({ code: 'constant', message: `Only one value${only !== undefined && only !== null ? ` (${only})` : ''}: the column carries no information` });
  } else if (c.top && c.top[0] && c.top[0].count / c.count >= 0.99) {
    w.push({ code: 'dominant_value', message: `"${c.top[0].value}" is ${pct(c.top[0].count / c.count)} of values` });
  }
  if (c.type === 'string' && c.count >= 20 && c.distinct >= 0.9 * c.count) {
    w.push({
      code: 'high_cardinality',
      message: `Almost every value is unique (${c.distinct} distinct of ${c.count}): an ID or free text, not a useful category`,
    });
  }
  return w;
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}
