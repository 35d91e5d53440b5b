/**
 * The rows a model trains on: every file of its dataset, read by DuckDB, plus what the lineage
 * card records about them (paths, content hash, row count, time range).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sqlString, type DuckSession, type Row } from '../data/duckdb';
import { openSource } from '../data/source';
import { dbLineage, importIntoDuck } from '../data/dbImport';
import { openDbSource } from '../data/dbSource';
import { dbSpecOf } from '../data/dataset';
import { badInput, cancelled } from '../errors';
import { datasetFiles, type ModelConfig, type ProjectConfig } from '../project/config';
import { toDate } from '../features/apply';

export interface TrainingData {
  rows: Row[];
  /**
   * Per file: its path (relative to the workspace), sha256 of its contents and its rows. A
   * database dataset is one entry: its redacted URL with the table or query, and a content
   * fingerprint computed in its engine.
   */
  files: { path: string; content_hash: string; rows: number; url?: string; table?: string; query?: string; time_range?: { min: string; max: string } }[];
  /** A DuckDB table of the same rows with their index in `rows` as __row, for fitting in SQL. */
  table: string;
}

export const TRAINING_TABLE = 'prodml_training_rows';

export async function loadTrainingData(session: DuckSession, project: ProjectConfig, m: ModelConfig, signal?: AbortSignal): Promise<TrainingData> {
  const files = await createTrainingTable(session, project, m, signal);
  return checkedRows(session, project, m, files, signal);
}

/** Every row of the dataset into TRAINING_TABLE (with __row, the row's index in file order); returns what the card records of its sources. */
export async function createTrainingTable(session: DuckSession, project: ProjectConfig, m: ModelConfig, signal?: AbortSignal): Promise<TrainingData['files']> {
  if (m.dataset.url) return loadDatabaseTable(session, project, m, signal);
  const paths = await datasetFiles(project.root, { ...project, datasets: [m.dataset] });
  if (paths.length === 0) throw badInput(project.file, `datasets.${m.dataset.name}.path matches no files (${m.dataset.path.join(', ')})`);
  const files: TrainingData['files'] = [];
  const scans: string[] = [];
  const parquet: { abs: string; offset: number }[] = [];
  let offset = 0;
  for (const f of paths) {
    const rel = path.relative(project.root, f);
    const src = await openSource(rel, project.root);
    const [count] = await session.rows(`SELECT count(*) AS n FROM ${src.scan}`, { signal });
    const rows = Number(count?.['n'] ?? 0);
    files.push({ path: rel, content_hash: `sha256:${await fileSha256(f, signal)}`, rows });
    scans.push(`SELECT * FROM ${src.scan}`);
    if (src.format === 'parquet') parquet.push({ abs: src.path, offset });
    offset += rows;
  }
  if (parquet.length === paths.length && offset < 2 ** 31) {
    // Parquet is read where it lies: a view numbering each file's rows from its offset, so no
    // copy of the data is made (at 10M rows the copy took 25 s and 1.5 GB past DuckDB's cap).
    const scan = `read_parquet([${parquet.map((p) => sqlString(p.abs)).join(', ')}], union_by_name = true, filename = '${FILE_COLUMN}', file_row_number = true)`;
    const columns = new Set((await session.rows(`DESCRIBE SELECT * FROM ${scan}`, { signal })).map((r) => String(r['column_name'])));
    // A data column of one of these names would clash with the numbering: copy the data instead.
    if (!columns.has('__row') && [...columns].filter((c) => c === 'file_row_number').length === 1) {
      const offsetOf = parquet.length === 1 ? '0' : `CASE ${FILE_COLUMN} ${parquet.map((p) => `WHEN ${sqlString(p.abs)} THEN ${p.offset}`).join(' ')} END`;
      await session.run(`CREATE OR REPLACE TEMP VIEW ${TRAINING_TABLE} AS SELECT * EXCLUDE (file_row_number, ${FILE_COLUMN}), (file_row_number + ${offsetOf})::INTEGER AS __row FROM ${scan}`, { signal });
      return files;
    }
  }
  // __row is the table's rowid (its insertion order, the files' order): a window numbering the
  // rows would hold them all in memory at once, which failed at 10M rows under a memory limit.
  await session.run(`CREATE OR REPLACE TEMP TABLE ${RAW_TABLE} AS SELECT * FROM (${scans.join(' UNION ALL BY NAME ')})`, { signal });
  await session.run(`CREATE OR REPLACE TEMP VIEW ${TRAINING_TABLE} AS SELECT *, rowid::INTEGER AS __row FROM ${RAW_TABLE}`, { signal });
  return files;
}

const FILE_COLUMN = '__prodml_file';

/** A file's sha256 (hex), read in pieces: a data file may be larger than a Buffer can hold. */
async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  const hash = crypto.createHash('sha256');
  try {
    for await (const piece of fs.createReadStream(file, { highWaterMark: 1 << 22, ...(signal ? { signal } : {}) })) hash.update(piece as Buffer);
  } catch (e) {
    if (signal?.aborted) throw cancelled();
    throw e;
  }
  return hash.digest('hex');
}

const RAW_TABLE = `${TRAINING_TABLE}_raw`;

/** Drops TRAINING_TABLE and what it reads (a view over a table for files, a table for a database). */
export async function dropTrainingTable(session: DuckSession): Promise<void> {
  await session.run(`DROP VIEW IF EXISTS ${TRAINING_TABLE}`).catch(() => session.run(`DROP TABLE IF EXISTS ${TRAINING_TABLE}`));
  await session.run(`DROP TABLE IF EXISTS ${RAW_TABLE}`);
}

/** A database dataset: its rows streamed in chunks into DuckDB, its lineage computed in its engine. */
async function loadDatabaseTable(session: DuckSession, project: ProjectConfig, m: ModelConfig, signal?: AbortSignal): Promise<TrainingData['files']> {
  const opened = await openDbSource(dbSpecOf(m.dataset), project.root, { signal });
  try {
    const lineage = await dbLineage(opened, signal, m.dataset.time_column);
    // Streamed straight into the training table, numbered as it arrives: no second copy.
    await importIntoDuck(session, opened, TRAINING_TABLE, { signal, rowIndex: '__row' });
    const what = lineage.table !== undefined ? `table ${lineage.table}` : `query ${lineage.query}`;
    return [
      {
        path: `${lineage.url} (${what})`,
        content_hash: lineage.content_hash,
        rows: lineage.rows,
        url: lineage.url,
        ...(lineage.table !== undefined ? { table: lineage.table } : { query: lineage.query }),
        ...(lineage.time_range ? { time_range: lineage.time_range } : {}),
      },
    ];
  } finally {
    await opened.close();
  }
}

async function checkedRows(session: DuckSession, project: ProjectConfig, m: ModelConfig, files: TrainingData['files'], signal?: AbortSignal): Promise<TrainingData> {
  const rows = await session.rows(`SELECT * EXCLUDE (__row) FROM ${TRAINING_TABLE} ORDER BY __row`, { signal });
  const needed = [m.label, ...m.features.map((f) => f.name)];
  const have = new Set(Object.keys(rows[0] ?? {}));
  const missing = needed.filter((c) => !have.has(c));
  if (missing.length > 0) throw badInput(project.file, `models.${m.name}: the ${m.dataset.name} data has no column ${missing.map((c) => `"${c}"`).join(', ')}`);
  return { rows, files, table: TRAINING_TABLE };
}

/** min/max of a time column over some rows, as ISO instants. */
export function timeRange(rows: readonly Row[], column: string | undefined): { min: string; max: string } | undefined {
  if (!column) return undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const r of rows) {
    const t = toDate(r[column])?.getTime();
    if (t === undefined) continue;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return Number.isFinite(min) ? { min: new Date(min).toISOString(), max: new Date(max).toISOString() } : undefined;
}

/** Labels as numbers: the value, 0/1, or the index of the class in `classes` (sorted). */
export function encodeLabels(rows: readonly Row[], label: string, task: ModelConfig['task']): { y: Float32Array; classes?: string[]; dropped: number } {
  return encodeLabelValues(rows.map((r) => r[label]), task);
}

/** encodeLabels on one column of label values. */
export function encodeLabelValues(values: readonly unknown[], task: ModelConfig['task']): { y: Float32Array; classes?: string[]; dropped: number } {
  if (task === 'regression') {
    const y = Float32Array.from(values, (v) => Number(v));
    return { y, dropped: y.filter((v) => !Number.isFinite(v)).length };
  }
  if (task === 'binary') {
    const y = Float32Array.from(values, (v) => {
      return v === true || v === 1 || v === '1' || v === 'true' ? 1 : v === false || v === 0 || v === '0' || v === 'false' ? 0 : Number.NaN;
    });
    return { y, dropped: y.filter((v) => Number.isNaN(v)).length };
  }
  const classes = [...new Set(values.filter((v) => v !== null && v !== undefined).map(String))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Float32Array.from(values, (v) => index.get(String(v)) ?? Number.NaN);
  return { y, classes, dropped: y.filter((v) => Number.isNaN(v)).length };
}
