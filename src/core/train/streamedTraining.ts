/**
 * Training past a memory budget (`training.memory_budget_mb`): the training split is never
 * materialised in JavaScript. DuckDB holds the table (spilling to disk past its own limit); the
 * split, the fit of the transforms and the card's facts run in SQL; then one pass in row order
 * transforms every row once and writes it as a compact record (bucketFiles.ts) into files of a
 * private temporary folder: a training row into one of N buckets by a seeded hash of its row, an
 * eval row into the eval files in row order. Each epoch reads the buckets back with fs in a
 * seeded order (one read ahead), visits each bucket's rows in a seeded uniform permutation
 * and trains on the records directly (one-hot inputs as column indices); the eval loss and the
 * final evaluation read the eval files. Peak memory is about three buckets (the one trained on,
 * its shuffled piles, the one read ahead), whatever the row count; the folder is removed when
 * training ends (close()), and on an error or a cancel of the layout.
 *
 * The split is the in-memory path's (splitBy in split.ts): rows whose label is unusable are left
 * out, then a random split draws `unit(k, seed)` for the k-th kept row, a time split cuts at the
 * same instant. So both paths train on the same rows, fit the same transforms and evaluate the
 * same rows. Each epoch visits them in epochOrder.ts's order, which the in-memory path draws too
 * (given the bucket count, bucketLayout), so the two give the same batches and the same model
 * to float tolerance (test/unit/streamedTraining.test.ts).
 */
import fs from 'node:fs';
import { chunkColumnJS, chunkTypedColumn, numericVector, readColumns, sqlIdent, type ColumnRead, type DuckSession, type NumberColumn, type TypedColumn } from '../data/duckdb';
import { badInput } from '../errors';
import { CompensatedSum } from '../evaluate/summation';
import type { Baseline } from '../evaluate/baseline';
import { COERCIONS, readFor, transformColumns } from '../features/applyColumns';
import { fitTransforms } from '../features/fit';
import type { FittedTransforms } from '../features/spec';
import type { ModelConfig } from '../project/config';
import { valueAt } from './columns';
import { dropTrainingTable, encodeLabelValues, TRAINING_TABLE } from './data';
import { denseRows, encodeRecords, readRecords, RecordFiles, recordLayout, recordsFolder, type RecordLayout, type Records } from './bucketFiles';
import { bucketOf, drawPiles, epochBuckets, shuffle } from './epochOrder';
import { addRecordsLoss, isLinear, type EpochSource } from './linearTrainer';
import { unit } from './split';

/** training.memory_budget_mb when prodml.yaml sets none. */
export const DEFAULT_MEMORY_BUDGET_MB = 1024;
const DEFAULT_EVAL = 0.2;
/** Rows not trained on: eval rows (1) and rows whose label is unusable (2). */
const PARTS_TABLE = 'prodml_split_parts';
export const STREAM_TABLE = 'prodml_stream_rows';
const SAMPLE_TABLE = 'prodml_train_sample';
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
  /** The private folder of the records (bucketFiles.ts): removed by close(). */
  folder: string;
  /** Removes the records' folder: call it when training ends, however it ends. */
  close(): void;
  /** The training labels' baseline (the mean or positive rate), summed in row order at the layout. */
  baseline(): Baseline;
  /** The rows laid out: training rows (sorted) and eval rows (in the order they evaluate). */
  rowIds(signal?: AbortSignal): Promise<{ train: number[]; eval: number[] }>;
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
  /** Progress of the layout (a line about every second). */
  onProgress?: (message: string) => void,
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
  // In row order without a sort (DuckDB keeps a scan's order; checked, as in the layout).
  const labels = await session.stream(`SELECT __row::INTEGER AS __row, ${labelSql ?? sqlIdent(m.label)} FROM ${TRAINING_TABLE}`, { signal });
  let previous = -1;
  for await (const chunk of labels.chunks()) {
    const rows = rowNumbers(chunk);
    const y = labelSql ? (chunkTypedColumn(chunk, 1, labels.columnTypes[1]!.typeId as number, 'number', COERCIONS) as NumberColumn).values : encodeLabelValues(chunkColumnJS(chunk, 1), m.task).y;
    // rowCount is a native call: read once per chunk, not once per row.
    for (let i = 0, n = chunk.rowCount; i < n; i++) {
      const row = rows[i]!;
      if (row <= previous) throw new Error(`streamed training: DuckDB returned row ${row} after row ${previous}`);
      previous = row;
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
  let trainOf = `(SELECT t.* FROM ${TRAINING_TABLE} t ANTI JOIN ${PARTS_TABLE} p ON t.__row = p.__row)`;
  const notDropped = `(SELECT t.* FROM ${TRAINING_TABLE} t ANTI JOIN (SELECT __row FROM ${PARTS_TABLE} WHERE part = 2) p ON t.__row = p.__row)`;
  if (m.split.kind === 'time') {
    // The cut-off of splitBy: the known times of the kept rows, sorted, at floor(known * (1 - frac)).
    const ms = `epoch_ms(${sqlIdent(m.split.column)})`;
    const [c] = await session.rows(`SELECT count(${ms}) AS n FROM ${notDropped}`, { signal });
    const known = Number(c?.['n'] ?? 0);
    if (known === 0) throw badInput(undefined, `split by time: column "${m.split.column}" has no dates`);
    const at = Math.min(Math.floor(known * (1 - frac)), known - 1);
    const cut = await timeAt(session, notDropped, ms, at, signal);
    await session.run(`INSERT INTO ${PARTS_TABLE} SELECT __row, 1 FROM ${notDropped} WHERE ${ms} >= ${cut}`, { signal });
    // Training rows by a filter, not a join against millions of eval rows.
    trainOf = `(SELECT t.* FROM ${TRAINING_TABLE} t ANTI JOIN (SELECT __row FROM ${PARTS_TABLE} WHERE part = 2) p ON t.__row = p.__row WHERE NOT coalesce(${ms} >= ${cut}, false))`;
  }
  const [counts] = await session.rows(`SELECT count(*) FILTER (WHERE part = 1) AS eval, count(*) AS left FROM ${PARTS_TABLE}`, { signal });
  const [all] = await session.rows(`SELECT count(*) AS n FROM ${TRAINING_TABLE}`, { signal });
  const evalRows = Number(counts?.['eval'] ?? 0);
  const trainRows = Number(all?.['n'] ?? 0) - Number(counts?.['left'] ?? 0);
  if (trainRows === 0 || evalRows === 0) {
    throw badInput(undefined, `the ${m.split.kind} split left ${trainRows === 0 ? 'no training' : 'no evaluation'} rows (${trainRows + evalRows} rows in all)`);
  }

  const fitted = await fitTransforms(session, m.features, { relation: trainOf, display: m.dataset.path.join(', '), signal });
  let timeRange: StreamedData['timeRange'];
  const timeColumn = m.dataset.time_column;
  if (timeColumn && TIME_TYPES.has(types.get(timeColumn) ?? '')) {
    const [r] = await session.rows(`SELECT min(epoch_ms(${sqlIdent(timeColumn)})) AS lo, max(epoch_ms(${sqlIdent(timeColumn)})) AS hi FROM ${trainOf}`, { signal });
    if (r?.['lo'] !== null && r?.['lo'] !== undefined) timeRange = { min: new Date(Number(r['lo'])).toISOString(), max: new Date(Number(r['hi'])).toISOString() };
  }

  const slices = (m.validation.slices ?? []).filter((s) => s !== m.label && types.has(s));
  // What the layout reads, encoded in SQL so that a chunk arrives as plain numeric vectors: the
  // label as the number encodeLabelValues gives, numbers as DOUBLE, text categories as codes
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
  const labelCol = labelSql ? `${labelSql} AS __y` : `${sqlIdent(m.label)} AS __y`;
  const reads: ColumnRead[] = m.features.map((f, k) => (dictionaries[k] || featureSql[k]!.startsWith('CAST(') ? 'number' : readFor(f.transform)));
  /** Encoded feature columns as transformColumns takes them (ENUM codes as categories of their dictionary). */
  const featureColumns = (columns: TypedColumn[], n: number): TypedColumn[] =>
    columns.map((c, k) => {
      const dictionary = dictionaries[k];
      if (!dictionary || c.kind !== 'number') return c;
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = c.values[i] === c.values[i] ? c.values[i]! : -1;
      return { kind: 'category', codes, dictionary };
    });

  // Which rows train: a byte per row (0 train, 1 eval, 2 left out), from the parts table.
  const [maxRow] = await session.rows(`SELECT max(__row) AS n FROM ${TRAINING_TABLE}`, { signal });
  const partOf = new Uint8Array(Number(maxRow?.['n'] ?? 0) + 1);
  const parts = await session.stream(`SELECT __row, part FROM ${PARTS_TABLE}`, { signal });
  for await (const chunk of parts.chunks()) {
    const r = rowNumbers(chunk);
    const p = numericVector(chunk, 1)?.values ?? (chunk.getColumnVector(1).toArray() as number[]);
    for (let i = 0, n = chunk.rowCount; i < n; i++) partOf[r[i]!] = p[i]!;
  }

  // The layout: one pass over the rows in row order; each row transformed once and written as a
  // record (bucketFiles.ts), a training row into the bucket a seeded hash of its row picks (a
  // random subset each), an eval row into the eval files in row order. Buckets are sized by
  // bucketLayout; DuckDB has a quarter of the budget (run.ts).
  const layout = recordLayout(fitted);
  const { bucketRows, buckets } = bucketLayout(budgetMb, layout, trainRows);
  const dir = recordsFolder();
  const trainFiles = new RecordFiles(dir, 'train', layout);
  const evalFiles = new RecordFiles(dir, 'eval', layout);
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  const labelSum = new CompensatedSum();
  try {
    const stream = await session.stream(`SELECT __row::INTEGER AS __row, ${labelCol}, ${featureSql.join(', ')} FROM ${TRAINING_TABLE}`, { signal });
    const typeIds = stream.columnTypes.map((t) => t.typeId as number);
    const w = fitted.width;
    let tile = new Float32Array(0);
    let seen = 0;
    let evalSeen = 0;
    let trainSeen = 0;
    /** The row of the last training row the safeness sample keeps. */
    let sampleEnd = Number.MAX_SAFE_INTEGER;
    let lastRow = -1;
    let said = performance.now();
    const total = partOf.length;
    for await (const chunk of stream.chunks()) {
      const n = chunk.rowCount;
      const rowIds = rowNumbers(chunk);
      const y = labelSql
        ? (chunkTypedColumn(chunk, 1, typeIds[1]!, 'number', COERCIONS) as { values: Float64Array }).values
        : encodeLabelValues(chunkColumnJS(chunk, 1), m.task).y;
      const columns = featureColumns(
        reads.map((r, k) => (r === 'js' ? { kind: 'js' as const, values: chunkColumnJS(chunk, 2 + k) } : chunkTypedColumn(chunk, 2 + k, typeIds[2 + k]!, r, COERCIONS))),
        n,
      );
      if (tile.length < n * w) tile = new Float32Array(n * w);
      else tile.fill(0, 0, n * w);
      transformColumns(fitted, columns, 0, n, tile);
      for (let i = 0; i < n; i++) {
        const row = rowIds[i]!;
        // Row order makes the layout (and so every epoch) the same for a seed.
        if (row <= lastRow) throw new Error(`streamed training: DuckDB returned row ${row} after row ${lastRow}`);
        lastRow = row;
        const part = partOf[row]!;
        if (part === 2) continue;
        if (part === 1) {
          const at = evalSeen++;
          const k = Math.floor(at / bucketRows);
          // The eval files fill one after the other: a full one is written and closed.
          if (k > 0 && at % bucketRows === 0) evalFiles.close(k - 1);
          const slot = evalFiles.slot(k);
          encodeRecords(layout, tile, i, y[i]!, row, slot, slot.at);
        } else {
          if (++trainSeen === sampleRows) sampleEnd = row;
          labelSum.add(y[i]!);
          const slot = trainFiles.slot(bucketOf(row, seed, buckets));
          encodeRecords(layout, tile, i, y[i]!, row, slot, slot.at);
        }
      }
      seen += n;
      if (onProgress && performance.now() - said > 1000) {
        said = performance.now();
        onProgress(`Laying out rows for streamed training: ${seen.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`);
      }
    }
    trainFiles.closeAll();
    evalFiles.closeAll();
    // The sample's rows end at sampleEnd: the filter lets DuckDB skip the rest of the table.
    await session.run(`CREATE OR REPLACE TEMP TABLE ${SAMPLE_TABLE} AS SELECT * FROM ${trainOf} WHERE __row <= ${sampleEnd} ORDER BY __row LIMIT ${sampleRows}`, { signal });
    // The eval rows' slice columns (and, for regression, inputs) for the final evaluation, in
    // ranges of rows (bucket -1 first): only when the evaluation asks for them.
    if (slices.length > 0 || m.task === 'regression') {
      const evalOf = `(SELECT t.* FROM ${TRAINING_TABLE} t SEMI JOIN (SELECT __row FROM ${PARTS_TABLE} WHERE part = 1) p ON t.__row = p.__row)`;
      const keep = [...featureSql, ...slices.map((c, k) => `${sqlIdent(c)} AS __s${k}`)].join(', ');
      await session.run(`CREATE OR REPLACE TEMP TABLE ${STREAM_TABLE} AS SELECT ${keep}, __row, (-1 - __row // ${bucketRows})::INTEGER AS __bucket FROM ${evalOf}`, { signal });
    }
    await dropTrainingTable(session);
  } catch (e) {
    trainFiles.closeAll();
    evalFiles.closeAll();
    remove();
    throw e;
  }
  const trainCounts = Array.from({ length: buckets }, (_, b) => trainFiles.counts[b] ?? 0);
  const evalParts = evalFiles.counts.length;
  const extraIds = slices.length > 0 || m.task === 'regression' ? (await session.rows(`SELECT DISTINCT __bucket AS b FROM ${STREAM_TABLE}`, { signal })).map((r) => Number(r['b'])).sort((x, y) => y - x) : [];

  /** A bucket's records, in row order (the layout wrote them so). */
  const bucket = (b: number, sig?: AbortSignal) => (trainCounts[b] ? readRecords(trainFiles.file(b), layout, sig) : Promise.resolve(emptyRecords(layout)));
  /** An epoch's seeded bucket order, and its generator (which then draws the piles and their orders). */
  const epochOrder = (epoch: number) => epochBuckets(seed, epoch, buckets);
  /** The next epoch's first bucket, read while this epoch's last one trains. */
  let ahead: { epoch: number; read: Promise<Records> } | undefined;
  const source: EpochSource = {
    width: fitted.width,
    rows: trainRows,
    async *blocks(epoch, sig) {
      const { random, order } = epochOrder(epoch);
      // The next bucket is read while this one trains (the read runs on libuv's threads).
      let pending = ahead?.epoch === epoch ? ahead.read : bucket(order[0]!, sig);
      ahead = undefined;
      let perm = new Int32Array(0);
      let piles = new Int32Array(0);
      let pilesF32 = new Float32Array(0);
      for (let k = 0; k < buckets; k++) {
        const cur = await pending;
        if (k + 1 < buckets) {
          pending = bucket(order[k + 1]!, sig);
          pending.catch(() => undefined);
        } else {
          ahead = { epoch: epoch + 1, read: bucket(epochOrder(epoch + 1).order[0]!, sig) };
          ahead.read.catch(() => undefined);
        }
        // The bucket's rows in epochOrder.ts's order: moved into piles, each pile permuted.
        if (piles.length < cur.i32.length) {
          piles = new Int32Array(cur.i32.length);
          pilesF32 = new Float32Array(piles.buffer);
        }
        const starts = scatterToPiles(cur, random, piles);
        const { stride } = layout;
        for (let p = 0; p + 1 < starts.length; p++) {
          const n = starts[p + 1]! - starts[p]!;
          if (n === 0) continue;
          if (perm.length < n) perm = new Int32Array(n + (n >> 2));
          const visit = perm.subarray(0, n);
          for (let i = 0; i < n; i++) visit[i] = i;
          shuffle(visit, random);
          const from = starts[p]! * stride;
          const to = starts[p + 1]! * stride;
          yield { records: { rows: n, f32: pilesF32.subarray(from, to), i32: piles.subarray(from, to), layout }, order: visit };
        }
      }
    },
    async evalLoss(theta, binary, sig) {
      const sums = { total: 0, weight: 0 };
      for (let k = 0; k < evalParts; k++) addRecordsLoss(sums, theta, await readRecords(evalFiles.file(k), layout, sig), binary);
      return sums.total / (sums.weight || 1);
    },
    done() {
      ahead = undefined;
    },
  };
  return {
    fitted,
    trainRows,
    evalRows,
    bucketRows,
    buckets,
    source,
    folder: dir,
    close() {
      ahead = undefined;
      remove();
    },
    baseline() {
      const mean = labelSum.value / (trainRows || 1);
      return m.task === 'binary' ? { task: 'binary', positive_rate: mean } : { task: 'regression', mean };
    },
    async rowIds(sig) {
      const ids = async (files: RecordFiles, count: number) => {
        const out: number[] = [];
        for (let k = 0; k < count; k++) {
          const r = await readRecords(files.file(k), layout, sig);
          for (let i = 0; i < r.rows; i++) out.push(r.i32[i * layout.stride]!);
        }
        return out;
      };
      return { train: (await ids(trainFiles, buckets)).sort((a, b) => a - b), eval: await ids(evalFiles, evalParts) };
    },
    async evaluate(score, columns, sig) {
      const y = new Float32Array(evalRows);
      const out = new Float32Array(evalRows);
      let at = 0;
      for (let k = 0; k < evalParts; k++) {
        const r = await readRecords(evalFiles.file(k), layout, sig);
        for (let i = 0; i < r.rows; i++) y[at + i] = r.f32[i * layout.stride + 1]!;
        // Scored in tiles, so the dense matrix stays small whatever the eval split's size.
        for (let s = 0; s < r.rows; s += SCORE_ROWS) {
          const e = Math.min(r.rows, s + SCORE_ROWS);
          out.set(score(denseRows(r, s, e)), at + s);
        }
        at += r.rows;
      }
      const extra = columns.filter((c) => slices.includes(c));
      const extraAt = extra.map((c) => slices.indexOf(c));
      // Sized once (a 20M-row eval split's lists grown by push held up to twice their rows).
      const values = new Map<string, unknown[]>(columns.map((c) => [c, new Array<unknown>(evalRows).fill(null)]));
      const wanted = columns.some((c) => extra.includes(c) || m.features.some((f) => f.name === c));
      let filled = 0;
      for (const b of wanted ? extraIds : []) {
        const sql = `SELECT ${[...m.features.map((_, k) => `__f${k}`), ...extraAt.map((k) => `__s${k}`)].join(', ')} FROM ${STREAM_TABLE} WHERE __bucket = ${b} ORDER BY __row`;
        const r = await readColumns(session, sql, [...reads, ...extraAt.map(() => 'js' as const)], COERCIONS, { signal: sig });
        const features = featureColumns(r.columns.slice(0, m.features.length), r.rows);
        for (const c of columns) {
          const list = values.get(c)!;
          const k = extra.indexOf(c);
          const f = m.features.findIndex((x) => x.name === c);
          const col: TypedColumn | undefined = k >= 0 ? r.columns[m.features.length + k] : f >= 0 ? features[f] : undefined;
          if (col) for (let i = 0; i < r.rows; i++) list[filled + i] = valueAt(col, i);
        }
        filled += r.rows;
      }
      if (wanted && filled !== evalRows) throw new Error(`streamed training: ${filled} rows of slice columns for ${evalRows} eval rows`);
      return { y, out, columns: values };
    },
    trainRelation: SAMPLE_TABLE,
    timeRange,
  };
}

/**
 * The `at`-th smallest known time (epoch ms) of some rows. Few distinct times (dates): counted
 * per value and walked in JS, where a sort to an offset of 80M rows would hold them all.
 */
async function timeAt(session: DuckSession, relation: string, ms: string, at: number, signal?: AbortSignal): Promise<number> {
  const [d] = await session.rows(`SELECT approx_count_distinct(${ms}) AS n FROM ${relation}`, { signal });
  if (Number(d?.['n'] ?? 0) < 100_000) {
    const counts = await session.rows(`SELECT ${ms} AS t, count(*) AS n FROM ${relation} WHERE ${ms} IS NOT NULL GROUP BY 1 ORDER BY 1`, { signal });
    let seen = 0;
    for (const c of counts) {
      seen += Number(c['n']);
      if (seen > at) return Number(c['t']);
    }
  }
  const [cut] = await session.rows(`SELECT ${ms} AS cut FROM ${relation} WHERE ${ms} IS NOT NULL ORDER BY 1 LIMIT 1 OFFSET ${at}`, { signal });
  return Number(cut?.['cut']);
}

/**
 * The records of `r` moved into `out` pile after pile, each row to the pile drawPiles draws for
 * it; returns where each pile starts (in rows), and its end.
 */
function scatterToPiles(r: Records, random: () => number, out: Int32Array): Int32Array {
  const { rows, i32 } = r;
  const stride = r.layout.stride;
  const pileOf = new Uint16Array(rows);
  const starts = drawPiles(rows, random, pileOf);
  const fill = starts.slice(0, starts.length - 1);
  for (let i = 0, at = 0; i < rows; i++, at += stride) {
    let o = fill[pileOf[i]!]!++ * stride;
    for (let j = 0; j < stride; j++) out[o++] = i32[at + j]!;
  }
  return starts;
}

/** Rows of a dense tile scored at once in the final evaluation. */
const SCORE_ROWS = 65_536;

/** A chunk's first column, __row (INTEGER, never null), read directly (toArray converts item by item). */
function rowNumbers(chunk: Parameters<typeof chunkColumnJS>[0]): ArrayLike<number> {
  return numericVector(chunk, 0)?.values ?? (chunk.getColumnVector(0).toArray() as number[]);
}

/**
 * How many training rows a bucket holds under a memory budget, and so how many buckets: a
 * sixteenth of the budget each (in memory at once: the one trained on, its piles, the one read
 * ahead; a smaller bucket also shortens the wait for an epoch's first read).
 */
export function bucketLayout(budgetMb: number, layout: RecordLayout, trainRows: number): { bucketRows: number; buckets: number } {
  const bucketRows = Math.max(64, Math.floor((budgetMb * 2 ** 20) / 16 / (layout.stride * 4 + 8)));
  return { bucketRows, buckets: Math.max(1, Math.ceil(trainRows / bucketRows)) };
}

function emptyRecords(layout: RecordLayout): Records {
  return { rows: 0, f32: new Float32Array(0), i32: new Int32Array(0), layout };
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
