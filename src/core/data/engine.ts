/**
 * One interface over the SQL engines ProdML reads data through. DuckDB is the embedded default
 * (files); PostgreSQL, SQLite and ClickHouse are reached where the data lives, and the profiler
 * and the validator push their aggregates down into them. An engine is its connection plus a
 * dialect: the few hooks where engines' SQL differs (casts, conditional counts, distinct counts,
 * quantiles, top-k, grouping sets). Everything else is one profiler, one validator.
 */
import type { QueryOptions, Row } from './duckdb';

export type EngineName = 'duckdb' | 'postgresql' | 'sqlite' | 'clickhouse';

/** A column as the engine types it, with its DuckDB-style type name (BIGINT, DOUBLE, VARCHAR, BOOLEAN, DATE, TIMESTAMP, DECIMAL). */
export interface EngineColumn {
  name: string;
  /** The engine's own type, e.g. int8, Nullable(Float64), TEXT. */
  nativeType: string;
  /** The DuckDB type ProdML treats it as. */
  duckdbType: string;
}

export interface QuantileSql {
  /** One array-valued expression, or one expression per level. */
  exprs: string[];
  array: boolean;
}

export interface Dialect {
  name: EngineName;
  /** What the quantiles are and how far off they may be: documentation, shown in docs/scale.md and tests. */
  quantileMethod: string;
  ident(name: string): string;
  string(s: string): string;
  toDouble(x: string): string;
  toText(x: string): string;
  /** Milliseconds since the epoch of a DATE or TIMESTAMP, as a double. */
  epochMs(x: string, duckdbType: string): string;
  countIf(cond: string): string;
  /** An approximate (or exact) distinct count of non-null values; `exact` says which. */
  distinct(x: string): { sql: string; exact: boolean };
  /** Sample standard deviation; `from` is the relation (for engines that need a second pass). */
  stddev(x: string, from: string): string;
  quantiles(x: string, levels: number[], sampleSize: number): QuantileSql;
  /** An array of about the k most frequent values, or undefined: then an exact GROUP BY ... LIMIT k. */
  approxTopK(x: string, k: number): string | undefined;
  /** floor(x) as an integer. */
  floorInt(x: string): string;
  /** GROUP BY GROUPING SETS: one scan counting several columns' groups. */
  groupingSets: boolean;
  /** `SELECT ... FROM (subquery) AS alias` needs the alias. */
  subquery(sql: string): string;
  limit(n: number): string;
  /**
   * An order-independent aggregate over the rows' hashes: with the row count, the content
   * fingerprint of a database dataset, computed where the rows are.
   */
  rowHashSum(columns: string[]): string;
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Rows per chunk (the bound on rows held at once). */
  chunkRows?: number;
}

export interface Engine {
  readonly dialect: Dialect;
  rows(sql: string, q?: QueryOptions): Promise<Row[]>;
  /** The columns of a relation (a table or a parenthesised query), mapped to DuckDB types. */
  describe(from: string, q?: QueryOptions): Promise<EngineColumn[]>;
  /** A query's rows chunk by chunk, never all at once. */
  stream(sql: string, opts?: StreamOptions): AsyncGenerator<Row[]>;
  /** Bytes received from the server so far (0 for in-process engines): what pushdown saves. */
  bytesRead(): number;
  close(): Promise<void>;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const sqlIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

export const DUCKDB_DIALECT: Dialect = {
  name: 'duckdb',
  quantileMethod: 'reservoir_quantile over a reservoir of 8,192 values: exact up to 8,192 non-missing values, a uniform sample beyond',
  ident: sqlIdent,
  string: sqlString,
  toDouble: (x) => `${x}::DOUBLE`,
  toText: (x) => `${x}::VARCHAR`,
  epochMs: (x) => `epoch_ms(${x})::DOUBLE`,
  countIf: (c) => `count_if(${c})`,
  distinct: (x) => ({ sql: `approx_count_distinct(${x})`, exact: false }),
  stddev: (x) => `stddev_samp(${x})`,
  quantiles: (x, levels, n) => ({ exprs: [`reservoir_quantile(${x}, [${levels.join(', ')}], ${n})`], array: true }),
  approxTopK: (x, k) => `approx_top_k(${x}, ${k})`,
  floorInt: (x) => `floor(${x})::INTEGER`,
  groupingSets: true,
  subquery: (sql) => `(${sql})`,
  limit: (n) => `LIMIT ${n}`,
  rowHashSum: (cols) => `sum(hash(${cols.join(', ')})::HUGEINT)::VARCHAR`,
};

export const POSTGRES_DIALECT: Dialect = {
  name: 'postgresql',
  quantileMethod: 'percentile_cont: exact (linear interpolation between the two nearest values)',
  ident: sqlIdent,
  string: sqlString,
  toDouble: (x) => `(${x})::float8`,
  toText: (x) => `(${x})::text`,
  epochMs: (x, t) => `(extract(epoch from (${x})${t === 'DATE' ? '::timestamp' : ''}) * 1000)::float8`,
  countIf: (c) => `count(*) FILTER (WHERE ${c})`,
  distinct: (x) => ({ sql: `count(DISTINCT ${x})`, exact: true }),
  stddev: (x) => `stddev_samp(${x})`,
  quantiles: (x, levels) => ({ exprs: [`percentile_cont(ARRAY[${levels.join(', ')}]::float8[]) WITHIN GROUP (ORDER BY ${x})`], array: true }),
  approxTopK: () => undefined,
  floorInt: (x) => `floor(${x})::int8`,
  groupingSets: true,
  subquery: (sql) => `(${sql}) AS prodml_src`,
  limit: (n) => `LIMIT ${n}`,
  rowHashSum: (cols) => `sum(hashtextextended(ROW(${cols.join(', ')})::text, 0)::numeric)::text`,
};

export const SQLITE_DIALECT: Dialect = {
  name: 'sqlite',
  quantileMethod: 'percentile_cont: exact (linear interpolation between the two nearest values)',
  ident: sqlIdent,
  string: sqlString,
  toDouble: (x) => `CAST(${x} AS REAL)`,
  toText: (x) => `CAST(${x} AS TEXT)`,
  epochMs: (x) => `(unixepoch(${x}) * 1000.0)`,
  countIf: (c) => `count(*) FILTER (WHERE ${c})`,
  distinct: (x) => ({ sql: `count(DISTINCT ${x})`, exact: true }),
  // SQLite has no stddev: two passes, the mean from a scalar subquery (evaluated once).
  stddev: (x, from) => `sqrt(sum((${x} - (SELECT avg(${x}) FROM ${from})) * (${x} - (SELECT avg(${x}) FROM ${from}))) / nullif(count(${x}) - 1, 0))`,
  quantiles: (x, levels) => ({ exprs: levels.map((l) => `percentile_cont(${x}, ${l})`), array: false }),
  approxTopK: () => undefined,
  floorInt: (x) => `CAST(floor(${x}) AS INTEGER)`,
  groupingSets: false,
  subquery: (sql) => `(${sql}) AS prodml_src`,
  limit: (n) => `LIMIT ${n}`,
  // prodml_row_hash is a function the SQLite engine registers (SQLite has no hash of its own).
  rowHashSum: (cols) => `CAST(sum(prodml_row_hash(${cols.join(', ')})) AS TEXT)`,
};

export const CLICKHOUSE_DIALECT: Dialect = {
  name: 'clickhouse',
  quantileMethod: 'quantilesTDigest: t-digest sketches merged across shards, relative rank error about 1% (ClickHouse documentation)',
  ident: sqlIdent,
  // ClickHouse string literals treat a backslash as an escape.
  string: (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
  toDouble: (x) => `toFloat64(${x})`,
  toText: (x) => `toString(${x})`,
  epochMs: (x, t) => (t === 'DATE' ? `(toFloat64(toUInt32(${x})) * 86400000)` : `(toFloat64(toUInt32(${x})) * 1000)`),
  countIf: (c) => `countIf(${c})`,
  distinct: (x) => ({ sql: `uniq(${x})`, exact: false }),
  stddev: (x) => `stddevSamp(${x})`,
  quantiles: (x, levels) => ({ exprs: [`quantilesTDigest(${levels.join(', ')})(${x})`], array: true }),
  approxTopK: (x, k) => `topK(${k})(${x})`,
  floorInt: (x) => `toInt64(floor(${x}))`,
  groupingSets: false,
  subquery: (sql) => `(${sql})`,
  limit: (n) => `LIMIT ${n}`,
  // UInt64 addition wraps: still order-independent.
  rowHashSum: (cols) => `toString(sum(cityHash64(${cols.join(', ')})))`,
};
