/**
 * Training past a memory budget (`training.memory_budget_mb`): the training split is never
 * materialised in JavaScript. DuckDB holds it (spilling to disk past its own limit); the split,
 * the fit of the transforms and the card's facts run in SQL; each epoch streams the training
 * rows in shuffled buckets, each bucket permuted in memory; the eval loss and the final
 * evaluation stream the eval rows in their row order. Peak memory is about two buckets, whatever
 * the row count.
 *
 * The split is the in-memory path's (splitBy in split.ts): rows whose label is unusable are left
 * out, then a random split draws `unit(k, seed)` for the k-th kept row, a time split cuts at the
 * same instant. So both paths train on the same rows, fit the same transforms and evaluate the
 * same rows. The batch order differs (buckets, not one Fisher-Yates over all rows), so the weights
 * agree only statistically; with one batch per epoch they agree to float tolerance
 * (test/unit/streamedTraining.test.ts).
 */
import { chunkColumnJS, readColumns, sqlIdent, type ColumnRead, type DuckSession, type TypedColumn } from '../data/duckdb';
import { mulberry32 } from '../demo/random';
import { badInput } from '../errors';
import { CompensatedSum } from '../evaluate/summation';
import type { Baseline } from '../evaluate/baseline';
import { COERCIONS, readFor, transformColumns } from '../features/applyColumns';
import { fitTransforms } from '../features/fit';
import type { FittedTransforms } from '../features/spec';
import type { ModelConfig } from '../project/config';
import { valueAt } from './columns';
import { dropTrainingTable, encodeLabelValues, TRAINING_TABLE } from './data';
import { addLinearLoss, isLinear, shuffle, type EpochBlock, type EpochSource } from './linearTrainer';
import { unit } from './split';

/** training.memory_budget_mb when prodml.yaml sets none. */
export const DEFAULT_MEMORY_BUDGET_MB = 1024;
const DEFAULT_EVAL = 0.2;
/** Rows not trained on: eval rows (1) and rows whose label is unusable (2). */
const PARTS_TABLE = 'prodml_split_parts';
export const STREAM_TABLE = 'prodml_stream_rows';
const SAMPLE_TABLE = 'prodml_train_sample';
const TILE_ROWS = 4096;
const TIME_TYPES = new Set(['DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS']);

/**
 * What the in-memory path holds per row, in bytes, for `columns` columns read: the float64
 * columns, the training split's copy of them, the design matrix, DuckDB's own table, the labels
 * and split indices, and V8's slack. Calibrated on bench:scale: 1M rows of 21 columns (59
 * model inputs) peaked at 1.1 GB RSS in memory.
 */
export function inMemoryBytesPerRow(columns: number): number {
  return 56 * columns + 64;
}

/** Why a model cannot stream (it then trains in memory), or undefined. */
export function whyNotStreamable(m: ModelConfig): string | undefined {
  if (!isLinear(m.model, m.task) || m.model.dropout) return 'only linear and logistic models train streamed';
  if (m.weighting) return 'recency weighting trains in memory';
  if (m.split.kind === 'group') return 'a group split trains in memory';
  return undefined;
}

/** Whether the model's training data exceeds its memory budget (and it can stream). */
export async function shouldStream(session: DuckSession, m: ModelConfig, signal?: AbortSignal): Promise<{ stream: boolean; rows: number; estimateMb: number; budgetMb: number; reason?: string }> {
  const budgetMb = m.training.memory_budget_mb ?? DEFAULT_MEMORY_BUDGET_MB;
  const [r] = await session.rows(`SELECT count(*) AS n FROM ${TRAINING_TABLE}`, { signal });
  const rows = Number(r?.['n'] ?? 0);
  const estimateMb = (rows * inMemoryBytesPerRow(m.features.length + 1)) / 2 ** 20;
  const reason = whyNotStreamable(m);
  return { stream: estimateMb > budgetMb && reason === undefined, rows, estimateMb, budgetMb, reason };
}

export interface StreamedData {
  fitted: FittedTransforms;
  trainRows: number;
  evalRows: number;
  /** Rows per bucket: what an epoch holds in memory at once (two buckets with the one read ahead). */
  bucketRows: number;
  buckets: number;
  source: EpochSource;
  /** The training labels' baseline (the mean or positive rate), from the first epoch's rows. */
  baseline(): Baseline;
  /** The eval rows scored in row order, with the columns asked for as JS values. */
  evaluate(score: (x: Float32Array) => Float32Array, columns: readonly string[], signal?: AbortSignal): Promise<{ y: Float32Array; out: Float32Array; columns: Map<string, unknown[]> }>;
  /** A SQL relation of the first `sampleRows` training rows as they are (with __row), for the safeness check's edge inputs. */
  trainRelation: string;
  timeRange?: { min: string; max: string };
}

/**
 * Splits, fits and lays out TRAINING_TABLE for streamed epochs; returns undefined when the split
 * column's type cannot be cut in SQL the way the in-memory path cuts it (the caller then trains
 * in memory).
 */
export async function prepareStreamed(
  session: DuckSession,
  m: ModelConfig,
  budgetMb: number,
  signal?: AbortSignal,
  /** Training rows kept as they are (the first, in row order) for the safeness check's edge inputs. */
  sampleRows = 200_000,
): Promise<StreamedData | undefined> {
  const seed = m.training.seed ?? 42;
  const frac = m.split.eval_fraction ?? DEFAULT_EVAL;
  if (!(frac > 0 && frac < 1)) throw badInput(undefined, `split.eval_fraction must be between 0 and 1 (got ${frac})`);
  const types = new Map((await session.rows(`DESCRIBE SELECT * FROM ${TRAINING_TABLE}`, { signal })).map((r) => [String(r['column_name']), String(r['column_type'])]));
  if (m.split.kind === 'time' && !TIME_TYPES.has(types.get(m.split.column) ?? '')) return undefined;

  // Labels in row order: the unusable ones left out, and a random split drawn over the kept rows.
  const left = { rows: new Int32Array(1 << 12), parts: new Int8Array(1 << 12), n: 0 };
  const leave = (row: number, part: number) => {
    if (left.n === left.rows.length) {
      const rows = new Int32Array(left.n * 2);
      rows.set(left.rows);
      const parts = new Int8Array(left.n * 2);
      parts.set(left.parts);
      left.rows = rows;
      left.parts = parts;
    }
    left.rows[left.n] = row;
    left.parts[left.n++] = part;
  };
  let kept = 0;
  const labelSql = encodedLabelSql(m.task, sqlIdent(m.label), types.get(m.label) ?? '');
  const labels = await session.stream(`SELECT __row, ${labelSql ?? sqlIdent(m.label)} FROM ${TRAINING_TABLE} ORDER BY __row`, { signal });
  for await (const chunk of labels.chunks()) {
    const rows = chunk.getColumnVector(0);
    const y = labelSql ? Float64Array.from(chunk.getColumnVector(1).toArray() as (number | null)[], (v) => (v === null ? Number.NaN : v)) : encodeLabelValues(chunkColumnJS(chunk, 1), m.task).y;
    for (let i = 0; i < chunk.rowCount; i++) {
      const row = rows.getItem(i) as number;
      if (!Number.isFinite(y[i]!)) leave(row, 2);
      else if (m.split.kind === 'random' && unit(String(kept++), seed) < frac) leave(row, 1);
      else if (m.split.kind !== 'random') kept++;
    }
  }
  await session.run(`CREATE OR REPLACE TEMP TABLE ${PARTS_TABLE} (__row INTEGER, part TINYINT)`);
  const appender = await session.appender(PARTS_TABLE);
  for (let i = 0; i < left.n; i++) {
    appender.appendInteger(left.rows[i]!);
    appender.appendTinyInt(left.parts[i]!);
    appender.endRow();
  }
  appender.closeSync();
  const notDropped = `(SELECT t.* FROM ${TRAINING_TABLE} t ANTI JOIN (SELECT __row FROM ${PARTS_TABLE} WHERE part = 2) p ON t.__row = p.__row)`;
  if (m.split.kind === 'time') {
    // The cut-off of splitBy: the known times of the kept rows, sorted, at floor(known * (1 - frac)).
    const ms = `epoch_ms(${sqlIdent(m.split.column)})`;
    const [c] = await session.rows(`SELECT count(${ms}) AS n FROM ${notDropped}`, { signal });
    const known = Number(c?.['n'] ?? 0);
    if (known === 0) throw badInput(undefined, `split by time: column "${m.split.column}" has no dates`);
    const at = Math.min(Math.floor(known * (1 - frac)), known - 1);
    const [cut] = await session.rows(`SELECT ${ms} AS cut FROM ${notDropped} WHERE ${ms} IS NOT NULL ORDER BY 1 LIMIT 1 OFFSET ${at}`, { signal });
    await session.run(`INSERT INTO ${PARTS_TABLE} SELECT __row, 1 FROM ${notDropped} WHERE ${ms} >= ${Number(cut?.['cut'])}`, { signal });
  }
  const [counts] = await session.rows(`SELECT count(*) FILTER (WHERE part = 1) AS eval, count(*) AS left FROM ${PARTS_TABLE}`, { signal });
  const [all] = await session.rows(`SELECT count(*) AS n FROM ${TRAINING_TABLE}`, { signal });
  const evalRows = Number(counts?.['eval'] ?? 0);
  const trainRows = Number(all?.['n'] ?? 0) - Number(counts?.['left'] ?? 0);
  if (trainRows === 0 || evalRows === 0) {
    throw badInput(undefined, `the ${m.split.kind} split left ${trainRows === 0 ? 'no training' : 'no evaluation'} rows (${trainRows + evalRows} rows in all)`);
  }

  const trainOf = `(SELECT t.* FROM ${TRAINING_TABLE} t ANTI JOIN ${PARTS_TABLE} p ON t.__row = p.__row)`;
  const fitted = await fitTransforms(session, m.features, { relation: trainOf, display: m.dataset.path.join(', '), signal });
  let timeRange: StreamedData['timeRange'];
  const timeColumn = m.dataset.time_column;
  if (timeColumn && TIME_TYPES.has(types.get(timeColumn) ?? '')) {
    const [r] = await session.rows(`SELECT min(epoch_ms(${sqlIdent(timeColumn)})) AS lo, max(epoch_ms(${sqlIdent(timeColumn)})) AS hi FROM ${trainOf}`, { signal });
    if (r?.['lo'] !== null && r?.['lo'] !== undefined) timeRange = { min: new Date(Number(r['lo'])).toISOString(), max: new Date(Number(r['hi'])).toISOString() };
  }

  // Buckets: an eighth of the budget each (one trained on, one read ahead, their transient
  // copies); DuckDB has a quarter (run.ts), Node and the rest what is left.
  const rowBytes = 8 * (m.features.length + 1) + 16 + 4 * fitted.width + 8;
  const bucketRows = Math.max(64, Math.floor((budgetMb * 2 ** 20) / 8 / rowBytes));
  const buckets = Math.max(1, Math.ceil(trainRows / bucketRows));
  const slices = (m.validation.slices ?? []).filter((s) => s !== m.label && types.has(s));
  // What each epoch reads, encoded in SQL once so that a bucket arrives as plain numeric vectors:
  // the label as the number encodeLabelValues gives, numbers as DOUBLE, text categories as codes
  // into a DuckDB ENUM of their values (NULL and '' are missing, as toCategory has it). A column
  // of another type is kept as it is and coerced in JS, as the in-memory path does.
  const dictionaries: (string[] | undefined)[] = [];
  const featureSql: string[] = [];
  for (const [k, f] of m.features.entries()) {
    const type = types.get(f.name) ?? '';
    const read = readFor(f.transform);
    const col = sqlIdent(f.name);
    if (read === 'number' && NUMERIC_TYPES.has(type)) featureSql.push(`CAST(${col} AS DOUBLE) AS __f${k}`);
    else if (read === 'category' && type === 'VARCHAR') {
      const enumType = `prodml_codes_${k}`;
      await session.run(`DROP TYPE IF EXISTS ${enumType}`);
      await session.run(`CREATE TYPE ${enumType} AS ENUM (SELECT DISTINCT ${col} FROM ${TRAINING_TABLE} WHERE ${col} IS NOT NULL AND ${col} <> '' ORDER BY 1)`, { signal });
      const [d] = await session.rows(`SELECT enum_range(NULL::${enumType}) AS d`);
      dictionaries[k] = (d?.['d'] as string[] | null) ?? [];
      featureSql.push(`enum_code(CAST(NULLIF(${col}, '') AS ${enumType})) AS __f${k}`);
    } else featureSql.push(`${col} AS __f${k}`);
  }
  const keep = [labelSql ? `${labelSql} AS __y` : `${sqlIdent(m.label)} AS __y`, ...featureSql, ...slices.map((c, k) => `${sqlIdent(c)} AS __s${k}`)].join(', ');
  // Training rows get a bucket from a hash of their row (a random subset each); eval rows get
  // negative buckets by ranges of rows (-1 first), so they read back in row order. Inserted one
  // bucket at a time, so each bucket's rows are stored together (a bucket's read skips the
  // rest) without sorting the whole table, which a memory cap cannot afford at 10M rows.
  const evalOf = `(SELECT t.* FROM ${TRAINING_TABLE} t SEMI JOIN (SELECT __row FROM ${PARTS_TABLE} WHERE part = 1) p ON t.__row = p.__row)`;
  await session.run(`CREATE OR REPLACE TEMP TABLE ${STREAM_TABLE} AS SELECT ${keep}, __row, (-1 - __row // ${bucketRows})::INTEGER AS __bucket FROM ${evalOf}`, { signal });
  for (let b = 0; b < buckets; b++) {
    await session.run(`INSERT INTO ${STREAM_TABLE} SELECT ${keep}, __row, ${b} AS __bucket FROM ${trainOf} WHERE hash(__row, ${seed}) % ${buckets} = ${b}`, { signal });
  }
  await session.run(`CREATE OR REPLACE TEMP TABLE ${SAMPLE_TABLE} AS SELECT * FROM ${trainOf} ORDER BY __row LIMIT ${sampleRows}`, { signal });
  await dropTrainingTable(session);
  const sizes = new Map((await session.rows(`SELECT __bucket AS b, count(*) AS n FROM ${STREAM_TABLE} GROUP BY 1`, { signal })).map((r) => [Number(r['b']), Number(r['n'])]));
  /** The eval buckets in row order. */
  const evalIds = [...sizes.keys()].filter((b) => b < 0).sort((x, y) => y - x);

  const reads: ColumnRead[] = [labelSql ? 'number' : 'js', ...m.features.map((f, k) => (dictionaries[k] || featureSql[k]!.startsWith('CAST(') ? 'number' : readFor(f.transform)))];
  const columnsSql = ['__y', ...m.features.map((_, k) => `__f${k}`)].join(', ');
  /** A bucket's labels and feature columns, in the bucket's row order or permuted by `perm`. */
  const read = async (bucket: number, extra: readonly number[], sig?: AbortSignal, random?: () => number) => {
    const sql = `SELECT ${columnsSql}${extra.map((k) => `, __s${k}`).join('')} FROM ${STREAM_TABLE} WHERE __bucket = ${bucket}`;
    const r = await readColumns(session, sql, [...reads, ...extra.map(() => 'js' as const)], COERCIONS, { signal: sig, rows: sizes.get(bucket) });
    const n = r.rows;
    const label = r.columns[0]!;
    let y = label.kind === 'number' ? Float32Array.from(label.values) : encodeLabelValues(label.kind === 'js' ? label.values : [], m.task).y;
    let features = r.columns.slice(1, 1 + m.features.length).map((c, k): TypedColumn => {
      const dictionary = dictionaries[k];
      if (!dictionary || c.kind !== 'number') return c;
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = c.values[i] === c.values[i] ? c.values[i]! : -1;
      return { kind: 'category', codes, dictionary };
    });
    if (random) {
      // The bucket's rows in a seeded random order: the columns are permuted (a few MB each, so
      // the gathers stay in cache) and the epoch then walks the design matrix in order.
      const perm = new Int32Array(n);
      for (let i = 0; i < n; i++) perm[i] = i;
      shuffle(perm, random);
      y = gather(y, perm);
      features = features.map((c) => permuted(c, perm));
    }
    // In tiles of rows, so that the columns' strided writes stay in cache.
    const w = fitted.width;
    const x = new Float32Array(n * w);
    for (let s = 0; s < n; s += TILE_ROWS) transformColumns(fitted, features, s, Math.min(n, s + TILE_ROWS), x.subarray(s * w, Math.min(n, s + TILE_ROWS) * w));
    return { rows: n, y, x, features, extra: r.columns.slice(1 + m.features.length) };
  };
  const labelSum = new CompensatedSum();
  let labelRows = 0;
  const source: EpochSource = {
    width: fitted.width,
    rows: trainRows,
    async *blocks(epoch, sig) {
      const random = mulberry32((seed ^ Math.imul(epoch, 0x9e3779b1)) >>> 0);
      const order = new Int32Array(buckets);
      for (let b = 0; b < buckets; b++) order[b] = b;
      shuffle(order, random);
      // The next bucket is read while this one trains (DuckDB works on its own threads).
      // Each bucket's permutation is drawn when its read starts: reads run in bucket order, so the draws do too.
      let pending = read(order[0]!, [], sig, random);
      for (let k = 0; k < buckets; k++) {
        const cur = await pending;
        if (k + 1 < buckets) {
          pending = read(order[k + 1]!, [], sig, random);
          pending.catch(() => undefined);
        }
        if (epoch === 1) {
          for (let i = 0; i < cur.rows; i++) labelSum.add(cur.y[i]!);
          labelRows += cur.rows;
        }
        const rows = new Int32Array(cur.rows);
        for (let i = 0; i < cur.rows; i++) rows[i] = i;
        const block: EpochBlock = { x: cur.x, y: cur.y, order: rows };
        yield block;
      }
    },
    async evalLoss(theta, binary, sig) {
      const sums = { total: 0, weight: 0 };
      for (const b of evalIds) {
        const cur = await read(b, [], sig);
        addLinearLoss(sums, theta, { x: cur.x, y: cur.y, width: fitted.width }, binary);
      }
      return sums.total / (sums.weight || 1);
    },
  };
  return {
    fitted,
    trainRows,
    evalRows,
    bucketRows,
    buckets,
    source,
    baseline() {
      const mean = labelSum.value / (labelRows || 1);
      return m.task === 'binary' ? { task: 'binary', positive_rate: mean } : { task: 'regression', mean };
    },
    async evaluate(score, columns, sig) {
      const y = new Float32Array(evalRows);
      const out = new Float32Array(evalRows);
      const extra = columns.filter((c) => slices.includes(c));
      const extraAt = extra.map((c) => slices.indexOf(c));
      const values = new Map<string, unknown[]>(columns.map((c) => [c, []]));
      let at = 0;
      for (const b of evalIds) {
        const cur = await read(b, extraAt, sig);
        y.set(cur.y, at);
        out.set(score(cur.x), at);
        at += cur.rows;
        for (const c of columns) {
          const list = values.get(c)!;
          const k = extra.indexOf(c);
          const f = m.features.findIndex((x) => x.name === c);
          const col: TypedColumn | undefined = k >= 0 ? cur.extra[k] : f >= 0 ? cur.features[f] : undefined;
          for (let i = 0; i < cur.rows; i++) list.push(col ? valueAt(col, i) : null);
        }
      }
      return { y, out, columns: values };
    },
    trainRelation: SAMPLE_TABLE,
    timeRange,
  };
}

const NUMERIC_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'FLOAT', 'DOUBLE']);

/** The label as encodeLabelValues encodes it, in SQL, for the column types where the two agree; else undefined. */
function encodedLabelSql(task: ModelConfig['task'], col: string, type: string): string | undefined {
  if (task === 'binary') {
    if (type === 'BOOLEAN') return `CASE WHEN ${col} THEN 1.0::DOUBLE WHEN NOT ${col} THEN 0.0::DOUBLE END`;
    if (NUMERIC_TYPES.has(type)) return `CASE WHEN ${col} = 1 THEN 1.0::DOUBLE WHEN ${col} = 0 THEN 0.0::DOUBLE END`;
    if (type === 'VARCHAR') return `CASE WHEN ${col} IN ('1', 'true') THEN 1.0::DOUBLE WHEN ${col} IN ('0', 'false') THEN 0.0::DOUBLE END`;
    return undefined;
  }
  if (task === 'regression' && NUMERIC_TYPES.has(type)) return `CAST(${col} AS DOUBLE)`;
  return undefined;
}

function gather(a: Float32Array, perm: Int32Array): Float32Array {
  const out = new Float32Array(perm.length);
  for (let i = 0; i < perm.length; i++) out[i] = a[perm[i]!]!;
  return out;
}

/** A column's rows in the order `perm` gives. */
function permuted(c: TypedColumn, perm: Int32Array): TypedColumn {
  const n = perm.length;
  switch (c.kind) {
    case 'number': {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = c.values[perm[i]!]!;
      return { kind: 'number', values: v };
    }
    case 'date': {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = c.ms[perm[i]!]!;
      return { kind: 'date', ms: v };
    }
    case 'category': {
      const v = new Int32Array(n);
      for (let i = 0; i < n; i++) v[i] = c.codes[perm[i]!]!;
      return { kind: 'category', codes: v, dictionary: c.dictionary };
    }
    case 'js':
      return { kind: 'js', values: Array.from(perm, (i) => c.values[i]) };
  }
}
