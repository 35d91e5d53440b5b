/**
 * Batch (static) prediction: `prodml predict` and "ProdML: Batch Predict". A whole file is scored
 * through the Scorer (the same transforms and model as online serving and evaluation) while
 * DuckDB streams it in chunks, so a file larger than memory is fine.
 *
 * Output: every input column that is not a model input (ids, timestamps, labels: whatever lets a
 * reader join the predictions back), or exactly the `keys` asked for, in the input's row order,
 * then `prediction` (regression: the value; binary: P(class 1); multiclass: the most probable
 * class, followed by `p_<class>` probabilities). Predictions are FLOAT: the Scorer's float32s, bit
 * for bit. The format follows the output's extension; the file appears whole or not at all.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBDataChunk, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import picomatch from 'picomatch';
import { chunkColumnJS, sqlIdent, sqlString, type DuckSession } from '../data/duckdb';
import { explainReadError, type DataSource } from '../data/source';
import { badInput, cancelled, isProdmlError } from '../errors';
import { loadProjectConfig } from '../project/config';
import type { ModelVersion } from '../registry/types';
import { syncDir } from '../registry/durable';
import { checkedColumns, codedQuery, columnPlan, planRows } from './columnCheck';
import { readSchema } from '../schema/io';
import { instanceChecker, type InstanceChecker, type Place } from './instanceCheck';
import { batchPredictionsFile, tempBeside } from './logPaths';
import type { PredictionRecord } from './logTypes';
import { loadScorer, predictionValue, type Scorer } from './scorer';

export type OutputFormat = 'parquet' | 'csv' | 'jsonl';

export const OUTPUT_EXTENSIONS: Record<string, OutputFormat> = { '.parquet': 'parquet', '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

export interface BatchOptions {
  /** Input columns to copy to the output; default: every column that is not a model input. */
  keys?: string[];
  /** Rows per Scorer call (default 8,192): bounds memory, and progress moves once per chunk. */
  chunkRows?: number;
  /** Rows DuckDB holds before spilling them to a Parquet part beside the output (default 524,288). */
  partRows?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /**
   * Also log every prediction (route 'batch') under `<root>/.prodml/logs/<model>/`. `key` names
   * the column logged as PredictionRecord.key; default: the model's `serving.key` in prodml.yaml.
   */
  log?: { root: string; key?: string };
}

export interface BatchResult {
  rows: number;
  output: string;
  seconds: number;
  /** The output's columns, in order. */
  columns: string[];
  /** The prediction log file written, with `log`. */
  logged?: string;
  /** Rows whose category was outside the model's domain (scored by the model's OOV rule), by input. */
  outOfDomain: Record<string, number>;
  /** How instances were checked and scored: as typed columns (columnCheck.ts), or as rows. */
  checkedAs: 'columns' | 'rows';
}

const DEFAULT_CHUNK_ROWS = 8192;
const DEFAULT_PART_ROWS = 524_288;

export function outputFormatOf(output: string): OutputFormat {
  const ext = path.extname(output).toLowerCase();
  const format = OUTPUT_EXTENSIONS[ext];
  if (!format) throw badInput(output, `unknown output type "${ext || '(none)'}"; name the output .parquet, .csv or .jsonl`);
  return format;
}

/** The prediction columns a scorer adds, with their SQL types. */
export function predictionColumns(scorer: Pick<Scorer, 'task' | 'classes' | 'outputsPerRow'>): { name: string; type: 'FLOAT' | 'VARCHAR' }[] {
  if (scorer.task !== 'multiclass') return [{ name: 'prediction', type: 'FLOAT' }];
  return [{ name: 'prediction', type: 'VARCHAR' }, ...classNames(scorer).map((c) => ({ name: `p_${c}`, type: 'FLOAT' as const }))];
}

function classNames(scorer: Pick<Scorer, 'classes' | 'outputsPerRow'>): string[] {
  return scorer.classes ?? Array.from({ length: scorer.outputsPerRow }, (_, i) => String(i));
}

/**
 * Scores every row of `input` with `version` and writes `output`. The session must be allowed to
 * read the input and write the output's directory (and the log's, with `log`).
 */
export async function predictBatch(session: DuckSession, version: ModelVersion, input: DataSource, output: string, opts: BatchOptions = {}): Promise<BatchResult> {
  const t0 = performance.now();
  const { signal } = opts;
  const format = outputFormatOf(output);
  const out = path.resolve(output);
  refuseOverwrite(input, out, output);
  const chunkRows = positive(opts.chunkRows, DEFAULT_CHUNK_ROWS, 'chunkRows');
  const partRows = positive(opts.partRows, DEFAULT_PART_ROWS, 'partRows');
  const ref = `${version.model}:${version.version}`;

  const columns = await describe(session, input, signal);
  const names = columns.map((c) => c.name);
  const scorer = await loadScorer(version);
  try {
    const absent = scorer.inputs.filter((n) => !names.includes(n));
    // Imputing a whole missing column would score a model that never saw it: refuse instead.
    if (absent.length > 0) throw badInput(input.display, `has no column ${absent.map((n) => `"${n}"`).join(', ')}, which ${ref} takes as input`);
    const kept = opts.keys ?? names.filter((n) => !scorer.inputs.includes(n));
    for (const k of kept) if (!names.includes(k)) throw badInput(input.display, `has no column "${k}" to keep as a key (columns: ${names.join(', ')})`);
    if (new Set(kept).size !== kept.length) throw badInput(input.display, `the keys name a column twice: ${kept.join(', ')}`);
    const preds = predictionColumns(scorer);
    const clash = kept.find((k) => preds.some((p) => p.name === k));
    if (clash) throw badInput(input.display, `has a column "${clash}", which the output needs for the predictions; rename it, or pass keys without it`);

    const total = Number((await session.rows(`SELECT count(*) AS n FROM ${input.scan}`, { signal }).catch((e) => rethrowRead(e, input, signal)))[0]!['n']);
    if (total === 0) throw badInput(input.display, 'has no rows to predict');

    const logKey = opts.log ? (opts.log.key ?? (await loadProjectConfig(opts.log.root))?.models.find((m) => m.name === version.model)?.serving.key) : undefined;
    // Logging records every field of an instance; scoring alone reads only the inputs and keys.
    const read = opts.log ? names : names.filter((n) => kept.includes(n) || scorer.inputs.includes(n));
    // The same input contract as online serving: transform.json, and the version's schema snapshot
    // (as servedModel.ts reads it) for the inputs, so an input the schema wants in every example
    // is refused when null, online and in batch alike. Columns the model does not read pass
    // through unchecked: a batch file carries keys, labels and the like.
    const schema = await readSchema(version.files['schema.yaml']).catch(() => undefined);
    const inputSchema = schema && { ...schema, features: Object.fromEntries(Object.entries(schema.features).filter(([name]) => scorer.inputs.includes(name))) };
    const check = instanceChecker({ ...(inputSchema ? { schema: inputSchema } : {}), transforms: scorer.transforms, unknownFields: false, fromText: true });
    const job: Job = { session, input, scorer, format, out, kept, preds, read, total, chunkRows, partRows, signal, onProgress: opts.onProgress, ref, check, place: placeOf(input), outOfDomain: {}, checkedAs: 'rows' };
    const log = opts.log ? await openBatchLog(opts.log.root, version, scorer, logKey && names.includes(logKey) ? logKey : undefined) : undefined;
    try {
      const rows = await runJob(job, log);
      const logged = await log?.commit();
      return { rows, output: out, seconds: (performance.now() - t0) / 1000, columns: [...kept, ...preds.map((p) => p.name)], ...(logged ? { logged } : {}), outOfDomain: job.outOfDomain, checkedAs: job.checkedAs };
    } catch (e) {
      await log?.abort();
      throw e;
    }
  } finally {
    scorer.dispose();
  }
}

interface Job {
  session: DuckSession;
  input: DataSource;
  scorer: Scorer;
  format: OutputFormat;
  out: string;
  kept: string[];
  preds: { name: string; type: 'FLOAT' | 'VARCHAR' }[];
  read: string[];
  total: number;
  chunkRows: number;
  partRows: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  ref: string;
  check: InstanceChecker;
  place: Place;
  outOfDomain: Record<string, number>;
  checkedAs: 'columns' | 'rows';
}

/** How a bad value is located: the line of a single CSV or JSON Lines file, else the row in reading order. */
function placeOf(input: DataSource): Place {
  const single = !/[*?[]/.test(input.path);
  const first = single && (input.format === 'csv' || input.format === 'tsv') ? 2 : single && input.format === 'jsonl' ? 1 : undefined;
  const row = (i: number) => (first === undefined ? `row ${i + 1}` : `line ${i + first}`);
  return { row, field: (i, f) => `${row(i)}, column "${f}"` };
}

/** A streamed chunk's share of the work: the kept columns as DuckDB values, the rest as JS rows (built when needed). */
interface Segment {
  kept: DuckDBValue[][];
  chunk: DuckDBDataChunk;
  n: number;
  rows?: Record<string, unknown>[];
}

async function runJob(job: Job, log: BatchLog | undefined): Promise<number> {
  const { session, input, scorer, kept, preds, read, signal } = job;
  const id = crypto.randomBytes(6).toString('hex');
  const table = `prodml_batch_${id}`;
  const partsDir = path.join(path.dirname(job.out), `.${path.basename(job.out)}.${process.pid}-${id}.parts`);
  const tmpOut = tempBeside(job.out);
  const parts: string[] = [];
  // Streaming reads on one connection while the other writes: a statement on the reading
  // connection would drop its pending result. A file's writer has a database of its own: in the
  // reader's, the long read's transaction kept every flushed part's rows alive (8 MB per million
  // rows, 1.3 GB at 100M). An imported table is only in the reader's database.
  const writer = /^read_(csv|parquet|json_auto)\(/.test(input.scan) ? await session.detached({ threads: 1 }) : await session.connect();
  try {
    await fs.mkdir(path.dirname(job.out), { recursive: true });
    let stream = await session.stream(`SELECT ${read.map((c) => sqlIdent(c)).join(', ')} FROM ${input.scan}`, { signal }).catch((e) => rethrowRead(e, input, signal));
    // Inputs whose DuckDB types settle the checks are checked and scored as typed columns (no row
    // objects): columnCheck.ts. A log needs the rows anyway.
    const planOf = () => (!log && scorer.scoreColumns ? columnPlan(job.check, scorer.transforms, stream.columnNames, stream.columnTypes.map((t) => t.typeId as number)) : undefined);
    let plan = planOf();
    if (plan) {
      job.checkedAs = 'columns';
      // The kept columns then never pass through JavaScript: the output joins them to the
      // predictions by position (both in the input's order), so only the inputs are streamed.
      // Small categorical domains come as codes (columnCheck.ts, codedQuery): no text decoded but the values outside them.
      const coded = codedQuery(plan, scorer.transforms, input.scan);
      stream = await session.stream(coded.sql, { signal, prefetch: true }).catch((e) => rethrowRead(e, input, signal));
      plan = coded.plan;
    }
    const keptInJs = plan ? [] : kept;
    const select = [...keptInJs.map((k) => sqlIdent(k)), ...preds.map((p) => `NULL::${p.type} AS ${sqlIdent(p.name)}`)].join(', ');
    await writer.run(`CREATE TABLE ${table} AS SELECT ${select} FROM ${input.scan} LIMIT 0`).catch((e) => rethrowRead(e, input, signal));
    let appender = await writer.appender(table);
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));

    const keptAt = keptInJs.map((k) => stream.columnNames.indexOf(k));
    const jsAt = stream.columnNames.map((_, i) => i).filter((i) => log || scorer.inputs.includes(stream.columnNames[i]!));
    const rowsOf = (seg: Segment) => (seg.rows ??= plan ? planRows(seg.chunk, plan) : jsRows(seg.chunk, stream.columnNames, jsAt));

    let pending: Segment[] = [];
    let pendingRows = 0;
    let done = 0;
    let inTable = 0;
    const flushPart = async () => {
      appender.closeSync();
      const part = path.join(partsDir, `part-${String(parts.length).padStart(5, '0')}.parquet`);
      if (parts.length === 0) await fs.mkdir(partsDir, { recursive: true });
      await writer.run(`COPY ${table} TO ${sqlString(part)} (FORMAT parquet)`, { signal });
      await writer.run(`DELETE FROM ${table}`);
      parts.push(part);
      inTable = 0;
      appender = await writer.appender(table);
    };
    /** The pending chunks one by one as typed columns; a chunk failing the column check goes through the row check, which names its problem. */
    const scoreColumnwise = async () => {
      const k = scorer.outputsPerRow;
      for (const seg of pending) {
        const cols = checkedColumns(seg.chunk, plan!, job.outOfDomain);
        let out: Float32Array;
        if (cols) out = scorer.scoreColumns!(cols, seg.n);
        else {
          const rows = rowsOf(seg);
          checkRows(rows, done);
          out = new Float32Array(seg.n * k);
          for (let i = 0; i < rows.length; i += job.chunkRows) out.set(scorer.score(rows.slice(i, i + job.chunkRows)), i * k);
        }
        appender.appendDataChunk(outputChunk(types, seg.kept, out, seg.n, scorer));
        done += seg.n;
        inTable += seg.n;
      }
      pending = [];
      pendingRows = 0;
      if (inTable >= job.partRows) await flushPart();
      job.onProgress?.(done, job.total);
    };
    const checkRows = (rows: Record<string, unknown>[], first: number) => {
      for (let i = 0; i < rows.length; i++) {
        const problem = job.check.instance(rows[i], first + i, { place: job.place });
        if (problem) throw badInput(input.display, problem.message);
        const outside = job.check.oov(rows[i]!);
        if (outside) for (const f of outside) job.outOfDomain[f] = (job.outOfDomain[f] ?? 0) + 1;
      }
    };
    const score = async () => {
      if (plan) return scoreColumnwise();
      const rows = pending.flatMap(rowsOf);
      checkRows(rows, done);
      const k = scorer.outputsPerRow;
      const out = new Float32Array(rows.length * k);
      for (let i = 0; i < rows.length; i += job.chunkRows) out.set(scorer.score(rows.slice(i, i + job.chunkRows)), i * k);
      let at = 0;
      for (const seg of pending) {
        const n = seg.n;
        const chunk = outputChunk(types, seg.kept, out.subarray(at * k, (at + n) * k), n, scorer);
        appender.appendDataChunk(chunk);
        log?.write(rowsOf(seg), out, at, done + at);
        at += n;
      }
      done += rows.length;
      inTable += rows.length;
      pending = [];
      pendingRows = 0;
      await log?.flush();
      if (inTable >= job.partRows) await flushPart();
      job.onProgress?.(done, job.total);
    };

    try {
      for await (const chunk of stream.chunks()) {
        pending.push({ kept: keptAt.map((i) => chunk.getColumnValues(i)), chunk, n: chunk.rowCount });
        pendingRows += chunk.rowCount;
        if (pendingRows >= job.chunkRows) await score();
      }
    } catch (e) {
      await rethrowRead(e, input, signal);
    }
    if (pendingRows > 0) await score();
    appender.closeSync();
    if (signal?.aborted) throw cancelled();
    if (done !== job.total) throw badInput(input.display, `changed while it was being scored (${job.total} rows counted, ${done} read); run again`);

    const options = job.format === 'parquet' ? 'FORMAT parquet' : job.format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT json';
    let predictions = table;
    if (parts.length > 0) {
      if (inTable > 0) await flushPart();
      // The Parquet reader keeps file and row order (preserve_insertion_order is on).
      predictions = `read_parquet([${parts.map(sqlString).join(', ')}])`;
    }
    const body =
      plan && kept.length > 0
        ? `SELECT k.*, p.* FROM (SELECT ${kept.map((c) => sqlIdent(c)).join(', ')} FROM ${input.scan}) k POSITIONAL JOIN (SELECT * FROM ${predictions}) p`
        : `SELECT * FROM ${predictions}`;
    await writer.run(`COPY (${body}) TO ${sqlString(tmpOut)} (${options})`, { signal });
    await fs.rename(tmpOut, job.out);
    return done;
  } catch (e) {
    await fs.rm(tmpOut, { force: true });
    if (signal?.aborted && !(isProdmlError(e) && e.kind === 'cancelled')) throw cancelled();
    if (e instanceof Error && !isProdmlError(e) && /Permission Error/.test(e.message)) {
      throw badInput(job.out, "is outside the folders ProdML may write (the workspace and the output's folder)");
    }
    throw e;
  } finally {
    await writer.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    writer.close();
    await fs.rm(partsDir, { recursive: true, force: true });
  }
}

/** A streamed chunk's rows as JS objects of the columns at `jsAt` (to check, score and log). */
function jsRows(chunk: DuckDBDataChunk, names: string[], jsAt: number[]): Record<string, unknown>[] {
  const n = chunk.rowCount;
  const jsCols = jsAt.map((i) => chunkColumnJS(chunk, i));
  const rows: Record<string, unknown>[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const row: Record<string, unknown> = {};
    for (let j = 0; j < jsAt.length; j++) row[names[jsAt[j]!]!] = jsCols[j]![r];
    rows[r] = row;
  }
  return rows;
}

/** One output chunk: the kept columns as read, then the prediction columns. */
function outputChunk(types: DuckDBType[], kept: DuckDBValue[][], out: Float32Array, n: number, scorer: Scorer): DuckDBDataChunk {
  const { DuckDBDataChunk } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const k = scorer.outputsPerRow;
  if (scorer.task !== 'multiclass' && kept.length === 0) {
    // The predictions straight into the FLOAT vector's memory: no JS value per row.
    const chunk = DuckDBDataChunk.create(types, n);
    const vec = chunk.getColumnVector(0) as unknown as { items?: unknown; flush(): void };
    if (vec.items instanceof Float32Array && vec.items.length === n) {
      vec.items.set(out.subarray(0, n));
      vec.flush();
      return chunk;
    }
  }
  const cols: DuckDBValue[][] = [...kept];
  if (scorer.task !== 'multiclass') {
    cols.push(Array.from(out));
  } else {
    const names = classNames(scorer);
    const best: string[] = new Array(n);
    for (let r = 0; r < n; r++) {
      let j = 0;
      for (let c = 1; c < k; c++) if (out[r * k + c]! > out[r * k + j]!) j = c;
      best[r] = names[j]!;
    }
    cols.push(best);
    for (let c = 0; c < k; c++) cols.push(Array.from({ length: n }, (_, r) => out[r * k + c]!));
  }
  const chunk = DuckDBDataChunk.create(types, n);
  chunk.setColumns(cols);
  return chunk;
}

async function describe(session: DuckSession, input: DataSource, signal?: AbortSignal): Promise<{ name: string; type: string }[]> {
  try {
    const rows = await session.rows(`DESCRIBE SELECT * FROM ${input.scan}`, { signal });
    return rows.map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
  } catch (e) {
    return rethrowRead(e, input, signal);
  }
}

async function rethrowRead(e: unknown, input: DataSource, signal?: AbortSignal): Promise<never> {
  if (signal?.aborted) throw cancelled();
  throw await explainReadError(e, input);
}

function refuseOverwrite(input: DataSource, out: string, given: string): void {
  const hits = /[*?[]/.test(input.path) ? picomatch(input.path)(out) : path.resolve(input.path) === out;
  if (hits) throw badInput(given, `is the input (${input.display}); write the predictions to another file`);
}

function positive(v: number | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 1) throw badInput(undefined, `${what} must be a positive whole number, not ${v}`);
  return v;
}

interface BatchLog {
  write(rows: Record<string, unknown>[], out: Float32Array, at: number, index: number): void;
  flush(): Promise<void>;
  commit(): Promise<string>;
  abort(): Promise<void>;
}

/**
 * The run's own prediction-log file, written to a temp name and renamed when the batch is done:
 * a reader's glob sees every prediction of the batch or none.
 */
async function openBatchLog(root: string, version: ModelVersion, scorer: Scorer, key: string | undefined): Promise<BatchLog> {
  const started = new Date();
  const file = batchPredictionsFile(root, version.model, started);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempBeside(file);
  const fh = await fs.open(tmp, 'wx');
  const requestId = `batch-${crypto.randomUUID()}`;
  const time = started.toISOString();
  let buffer: string[] = [];
  let closed = false;
  const close = async () => {
    if (!closed) await fh.close();
    closed = true;
  };
  const flush = async () => {
    if (buffer.length === 0) return;
    const text = buffer.join('\n') + '\n';
    buffer = [];
    await fh.write(text);
  };
  return {
    write(rows, out, at, index) {
      rows.forEach((row, r) => {
        const k = key === undefined ? undefined : jsonValue(row[key]);
        const record: PredictionRecord = {
          request_id: `${requestId}-${index + r}`,
          time,
          model: version.model,
          version: version.version,
          route: 'batch',
          ...(k !== undefined && k !== null ? { key: String(k) } : {}),
          inputs: Object.fromEntries(Object.entries(row).map(([c, v]) => [c, jsonValue(v)])),
          prediction: predictionValue(scorer, out, at + r),
        };
        buffer.push(JSON.stringify(record));
      });
    },
    flush,
    async commit() {
      await flush();
      await fh.sync();
      await close();
      await fs.rename(tmp, file);
      await syncDir(path.dirname(file));
      return file;
    },
    async abort() {
      await close();
      await fs.rm(tmp, { force: true });
    },
  };
}

/** A value as JSON carries it: dates at midnight as YYYY-MM-DD (as a request would send them), bytes as base64. */
function jsonValue(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString().replace(/T00:00:00\.000Z$/, '');
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return v;
}
