/**
 * Rows of a database dataset for work that needs them row by row (training, batch prediction):
 * streamed from the source in chunks (a server-side cursor, a streamed HTTP response, an
 * iterator) and appended into a DuckDB table, so that neither the driver nor ProdML ever holds
 * the whole result. Also the dataset's lineage: row count, time range and a content fingerprint
 * computed in the source engine.
 */
import crypto from 'node:crypto';
import type { DuckDBAppender } from '@duckdb/node-api';
import type { DuckSession } from './duckdb';
import type { OpenedDbSource } from './dbSource';
import type { EngineColumn } from './engine';
import { featureTypeOf } from './profile';
import type { DataSource } from './source';
import { cancelled, isProdmlError } from '../errors';

export interface DbLineage {
  /** The redacted URL. */
  url: string;
  table?: string;
  query?: string;
  rows: number;
  /** sha256 over the engine's order-independent sum of row hashes and the row count. */
  content_hash: string;
  /** min and max of the dataset's time column over all its rows (ISO 8601), when it has one. */
  time_range?: { min: string; max: string };
}

/** The dataset's row count, content fingerprint and time range, all aggregated in its engine (one query). */
export async function dbLineage(opened: OpenedDbSource, signal?: AbortSignal, timeColumn?: string): Promise<DbLineage> {
  const { engine, source } = opened;
  const d = engine.dialect;
  const cols = await engine.describe(source.from, { signal });
  // (a time column that is missing or not a date is left to the trainer's own checks)
  const time = cols.find((c) => c.name === timeColumn && featureTypeOf(c.duckdbType) === 'timestamp');
  const range = time ? `, min(${d.epochMs(d.ident(time.name), time.duckdbType)}) AS t0, max(${d.epochMs(d.ident(time.name), time.duckdbType)}) AS t1` : '';
  const rows = await run(opened, `SELECT count(*) AS n, ${d.rowHashSum(cols.map((c) => d.ident(c.name)))} AS h${range} FROM ${source.from}`, signal);
  const n = Number(rows[0]?.['n'] ?? 0);
  const h = String(rows[0]?.['h'] ?? '0');
  const content_hash = `sha256:${crypto.createHash('sha256').update(`${source.kind}|${cols.map((c) => `${c.name}:${c.duckdbType}`).join(',')}|${n}|${h}`).digest('hex')}`;
  const [t0, t1] = [rows[0]?.['t0'], rows[0]?.['t1']].map((v) => (v === null || v === undefined ? undefined : Number(v)));
  const time_range = t0 !== undefined && t1 !== undefined && Number.isFinite(t0) && Number.isFinite(t1) ? { min: new Date(t0).toISOString(), max: new Date(t1).toISOString() } : undefined;
  return { url: source.url, ...(source.table !== undefined ? { table: source.table } : { query: source.query }), rows: n, content_hash, ...(time_range ? { time_range } : {}) };
}

async function run(opened: OpenedDbSource, sql: string, signal?: AbortSignal) {
  try {
    return await opened.engine.rows(sql, { signal });
  } catch (e) {
    if (signal?.aborted) throw cancelled();
    if (isProdmlError(e)) throw e;
    throw await opened.relation.explain(e);
  }
}

/** DuckDB's type for a staged column: dates and timestamps arrive as text and are cast once at the end. */
function stagedType(c: EngineColumn): string {
  const t = featureTypeOf(c.duckdbType);
  return t === 'int' ? 'BIGINT' : t === 'float' ? 'DOUBLE' : t === 'bool' ? 'BOOLEAN' : 'VARCHAR';
}

function appendValue(a: DuckDBAppender, type: string, v: unknown): void {
  if (v === null || v === undefined) return a.appendNull();
  switch (type) {
    case 'BIGINT': {
      const n = Number(v);
      return Number.isFinite(n) ? a.appendBigInt(BigInt(Math.trunc(n))) : a.appendNull();
    }
    case 'DOUBLE':
      return a.appendDouble(Number(v));
    case 'BOOLEAN':
      return a.appendBoolean(v === true || v === 1 || v === '1' || v === 't' || v === 'true');
    default:
      return a.appendVarchar(v instanceof Date ? v.toISOString() : String(v));
  }
}

/**
 * DuckDB's memory limit (MB) for a session that imports a database dataset: a quarter of the
 * memory budget (`training.memory_budget_mb`, 1024 MB by default), at least 256 MB. Past it the
 * imported table spills to the session's private temporary directory (removed on close) instead of
 * growing the process by about 32 bytes a row. Always set for database imports, whatever their
 * size: a limit reserves nothing, and a small table never reaches it.
 */
export function dbImportMemoryLimitMb(budgetMb = 1024): number {
  return Math.max(256, budgetMb / 4);
}

export interface ImportResult {
  /** A DuckDB source over the imported table, for code that reads DataSources. */
  source: DataSource;
  table: string;
  rows: number;
  chunks: number;
  /** The largest number of rows held in JavaScript at once. */
  maxChunkRows: number;
}

/** Streams the dataset into DuckDB table `table` (replaced), `chunkRows` rows at a time. */
export async function importIntoDuck(session: DuckSession, opened: OpenedDbSource, table: string, opts: { signal?: AbortSignal; chunkRows?: number; rowIndex?: string } = {}): Promise<ImportResult> {
  const { engine, source } = opened;
  const d = engine.dialect;
  const cols = await engine.describe(source.from, { signal: opts.signal });
  const types = cols.map(stagedType);
  const ident = (n: string) => `"${n.replace(/"/g, '""')}"`;
  // Not TEMP: batch work reads it from a second connection, and temp tables are per connection.
  // `rowIndex`: a last column numbering the rows from 0 in the order they arrived (training's __row).
  const index = opts.rowIndex !== undefined ? `, ${ident(opts.rowIndex)} INTEGER` : '';
  await session.run(`CREATE OR REPLACE TABLE ${table} (${cols.map((c, i) => `${ident(c.name)} ${types[i]}`).join(', ')}${index})`);
  let rows = 0;
  let chunks = 0;
  let maxChunkRows = 0;
  const appender = await session.appender(table);
  try {
    const sql = `SELECT ${cols.map((c) => d.ident(c.name)).join(', ')} FROM ${source.from}`;
    for await (const chunk of engine.stream(sql, { signal: opts.signal, chunkRows: opts.chunkRows })) {
      for (const r of chunk) {
        cols.forEach((c, i) => appendValue(appender, types[i]!, r[c.name]));
        if (index) appender.appendInteger(rows++);
        appender.endRow();
      }
      appender.flushSync();
      if (!index) rows += chunk.length;
      chunks++;
      maxChunkRows = Math.max(maxChunkRows, chunk.length);
    }
  } catch (e) {
    if (opts.signal?.aborted) throw cancelled();
    if (isProdmlError(e)) throw e;
    throw await opened.relation.explain(e);
  } finally {
    appender.closeSync();
  }
  // Dates and timestamps were staged as text; each such column is cast in place (one column
  // rewritten, not a second copy of the table).
  for (const c of cols) {
    if (featureTypeOf(c.duckdbType) !== 'timestamp') continue;
    const to = c.duckdbType === 'DATE' ? 'DATE' : 'TIMESTAMP';
    await session.run(`ALTER TABLE ${table} ALTER COLUMN ${ident(c.name)} SET DATA TYPE ${to} USING CAST(${ident(c.name)} AS ${to})`);
  }
  // 'parquet' makes readers take the table in place (no copy).
  return { source: { path: source.display, display: source.display, format: 'parquet', scan: table }, table, rows, chunks, maxChunkRows };
}
