import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBType } from '@duckdb/node-api';
import { cancelled } from '../errors';

export interface QueryOptions {
  signal?: AbortSignal;
  /** Called with DuckDB's own progress estimate in [0, 1] while the query runs. */
  onProgress?: (fraction: number) => void;
}

export interface SessionOptions {
  /** SQL may read files only under these directories (DuckDB `allowed_directories`). */
  allowedDirectories: string[];
  threads?: number;
  /**
   * False lets DuckDB load text files in parallel without keeping row order (about 25% faster on
   * 10M rows): right for profiling, wrong for anything that maps rows back to lines.
   */
  preserveInsertionOrder?: boolean;
  /**
   * DuckDB's memory limit (MB): past it, tables and sorts spill to a private temporary directory
   * (removed on close) instead of growing the process. Unset: DuckDB's default, 80% of RAM.
   */
  memoryLimitMb?: number;
  /**
   * How far (MB) a streamed query may run ahead of its reader (DuckDB `streaming_buffer_size`,
   * default about 1 MB): more lets DuckDB's threads decode while JavaScript works on a chunk.
   */
  streamingBufferMb?: number;
}

export type Row = Record<string, unknown>;

/** PRODML_TRACE_SQL=1 prints every statement with its time on stderr. */
const TRACE = process.env['PRODML_TRACE_SQL'] === '1';

/** A DuckDB connection whose SQL is confined to the given directories. */
export class DuckSession {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    /** False for a connection from `connect()`: closing it leaves the shared database open. */
    private readonly ownsInstance = true,
    /** The spill directory this session made (memoryLimitMb), removed on close. */
    private readonly spillDir?: string,
    /** The options the database was opened with (for `detached()`). */
    private readonly options?: SessionOptions,
  ) {}

  static async open(opts: SessionOptions): Promise<DuckSession> {
    // Loaded on first use so that activating the extension or starting the CLI stays cheap.
    // (require, not import(): every bundle is CommonJS and keeps this native package external.)
    const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(opts.threads ?? os.availableParallelism()),
    });
    const conn = await instance.connect();
    const dirs = opts.allowedDirectories.map((d) => sqlString(withTrailingSep(path.resolve(d))));
    await conn.run(`SET allowed_directories = [${dirs.join(', ')}]`);
    if (opts.preserveInsertionOrder === false) await conn.run(`SET preserve_insertion_order = false`);
    let spillDir: string | undefined;
    if (opts.memoryLimitMb !== undefined) {
      spillDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodml-duckdb-'));
      await conn.run(`SET memory_limit = '${Math.max(64, Math.round(opts.memoryLimitMb))}MB'`);
      await conn.run(`SET temp_directory = ${sqlString(spillDir)}`);
    }
    if (opts.streamingBufferMb !== undefined) await conn.run(`SET streaming_buffer_size = '${Math.max(1, Math.round(opts.streamingBufferMb))}MB'`);
    await conn.run(`SET enable_external_access = false`);
    // Progress is only tracked with the progress bar on; we read it, DuckDB must not print it.
    await conn.run(`SET enable_progress_bar = true`);
    await conn.run(`SET enable_progress_bar_print = false`);
    await conn.run(`SET progress_bar_time = 0`);
    await conn.run(`SET lock_configuration = true`);
    return new DuckSession(instance, conn, true, spillDir, opts);
  }

  async rows(sql: string, opts: QueryOptions = {}): Promise<Row[]> {
    const { signal, onProgress } = opts;
    if (signal?.aborted) throw cancelled();
    const onAbort = () => this.conn.interrupt();
    signal?.addEventListener('abort', onAbort);
    const timer = onProgress
      ? setInterval(() => {
          const p = this.conn.progress.percentage;
          if (p >= 0) onProgress(Math.min(1, p / 100));
        }, 100)
      : undefined;
    const t0 = TRACE ? performance.now() : 0;
    try {
      const reader = await this.conn.runAndReadAll(sql);
      if (TRACE) process.stderr.write(`[sql ${(performance.now() - t0).toFixed(1)} ms] ${sql.replace(/\s+/g, ' ').slice(0, 160)}\n`);
      return rowsFromColumns(reader.columnNames(), reader.getColumnsJS());
    } catch (e) {
      if (signal?.aborted) throw cancelled();
      if (TRACE) process.stderr.write(`[sql failed] ${sql.replace(/\s+/g, ' ').slice(0, 300)}\n`);
      throw e;
    } finally {
      if (timer) clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async run(sql: string, opts: QueryOptions = {}): Promise<void> {
    await this.rows(sql, opts);
  }

  /**
   * A second connection to the same database: same settings (they are global), same tables, its
   * own transaction. A connection that runs a statement drops its own pending streamed result,
   * so work that writes while it streams needs two.
   */
  async connect(): Promise<DuckSession> {
    return new DuckSession(this.instance, await this.instance.connect(), false, undefined, this.options);
  }

  /**
   * A session on a database of its own, opened with this one's options (but `overrides`). DuckDB keeps the rows a
   * table drops or deletes while any older transaction is open (a long streamed read is one), so
   * work that writes and drops tables while this session streams does it there.
   */
  async detached(overrides: Partial<SessionOptions> = {}): Promise<DuckSession> {
    if (!this.options) throw new Error('detached: this session was not opened by DuckSession.open');
    return DuckSession.open({ ...this.options, ...overrides });
  }

  /**
   * A query's result handed over chunk by chunk (about 2,048 rows each, in result order), never
   * held whole: how batch work reads files larger than memory. Aborting interrupts the query.
   * `prefetch` asks DuckDB for the next chunk while the caller works on the current one (DuckDB
   * fetches off the main thread); the caller must then run no other statement on this connection
   * until the stream is done.
   */
  async stream(sql: string, opts: { signal?: AbortSignal; prefetch?: boolean } = {}): Promise<StreamedResult> {
    const { signal, prefetch = false } = opts;
    if (signal?.aborted) throw cancelled();
    const result = await this.conn.stream(sql);
    const conn = this.conn;
    return {
      columnNames: result.deduplicatedColumnNames(),
      columnTypes: result.columnTypes(),
      async *chunks() {
        const onAbort = () => conn.interrupt();
        signal?.addEventListener('abort', onAbort);
        let ahead: Promise<DuckDBDataChunk | null> | undefined;
        try {
          for (;;) {
            if (signal?.aborted) throw cancelled();
            let chunk: DuckDBDataChunk | null;
            try {
              chunk = await (ahead ?? result.fetchChunk());
              ahead = undefined;
            } catch (e) {
              ahead = undefined;
              if (signal?.aborted) throw cancelled();
              throw e;
            }
            if (!chunk || chunk.rowCount === 0) return;
            if (prefetch) ahead = result.fetchChunk();
            yield chunk;
          }
        } finally {
          // A fetch still in flight finishes before the connection is used again.
          if (ahead) await ahead.catch(() => undefined);
          signal?.removeEventListener('abort', onAbort);
        }
      },
    };
  }

  /** DuckDB's appender into a table of this connection: the fast way to insert many rows. */
  async appender(table: string): Promise<DuckDBAppender> {
    return this.conn.createAppender(table);
  }

  close(): void {
    this.conn.closeSync();
    if (this.ownsInstance) this.instance.closeSync();
    if (this.spillDir) fs.rmSync(this.spillDir, { recursive: true, force: true });
  }
}

export interface StreamedResult {
  columnNames: string[];
  columnTypes: DuckDBType[];
  chunks(): AsyncGenerator<DuckDBDataChunk>;
}

/** One column of a streamed chunk as the JavaScript values `rows()` gives (bigints as numbers, dates as Dates). */
export function chunkColumnJS(chunk: DuckDBDataChunk, column: number): unknown[] {
  const { JSDuckDBValueConverter } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  return chunk.convertColumnValues(column, JSDuckDBValueConverter).map(normalizeValue);
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A SQL identifier, quoted so any column name is safe. */
export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

function withTrailingSep(d: string): string {
  return d.endsWith(path.sep) ? d : d + path.sep;
}

/** BigInts become numbers (counts fit easily), Dates stay Dates, nested values are walked. */
function normalizeValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(normalizeValue);
  if (v instanceof Date || v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = normalizeValue(x);
  return out;
}

function normalizeRow(r: Record<string, unknown>): Row {
  return normalizeValue(r) as Row;
}

/**
 * Row objects from a result's columns. DuckDB's own row objects cost ~15 s for 1M rows x 21
 * columns; columns plus an object-literal factory (one hidden class for every row) cost ~5 s.
 * Names go in as JSON string literals, so no column name is ever code.
 */
function rowsFromColumns(names: readonly string[], columns: unknown[][]): Row[] {
  const n = columns[0]?.length ?? 0;
  const cols = columns.map((c) => (c.some((v) => typeof v === 'bigint' || (v !== null && typeof v === 'object' && !(v instanceof Date))) ? c.map(normalizeValue) : c));
  // `{"__proto__": v}` would set the prototype, and duplicate names the literal keeps once: the plain way.
  if (names.includes('__proto__') || new Set(names).size !== names.length) {
    return Array.from({ length: n }, (_, i) => normalizeRow(Object.fromEntries(names.map((k, j) => [k, cols[j]![i]]))));
  }
  const make = new Function('c', 'i', `return {${names.map((k, j) => `${JSON.stringify(k)}: c[${j}][i]`).join(', ')}};`) as (c: unknown[][], i: number) => Row;
  const rows = new Array<Row>(n);
  for (let i = 0; i < n; i++) rows[i] = make(cols, i);
  return rows;
}

/** How a column is read by `readColumns`: numbers, category labels (dictionary codes), instants, or JS values. */
export type ColumnRead = 'number' | 'category' | 'date' | 'js';

/** A numeric column: NaN where the value is missing or not a finite number. */
export interface NumberColumn {
  kind: 'number';
  values: Float64Array;
}
/** A categorical column: codes into `dictionary` (first-seen order), -1 where missing. */
export interface CategoryColumn {
  kind: 'category';
  codes: Int32Array;
  dictionary: string[];
}
/** Instants as epoch milliseconds: NaN where missing or not a date. */
export interface DateColumn {
  kind: 'date';
  ms: Float64Array;
}
export interface JsColumn {
  kind: 'js';
  values: unknown[];
}
export type TypedColumn = NumberColumn | CategoryColumn | DateColumn | JsColumn;

/** Converters from one JS value (as `rows()` gives it) to each column kind; set by features/apply to keep one definition of each coercion. */
export interface ValueCoercions {
  toNumber(v: unknown): number | null;
  toCategory(v: unknown): string | null;
  toDate(v: unknown): Date | null;
}

/** Type ids whose vectors hold plain JS numbers, read without the value converter. */
export const PLAIN_NUMBER_TYPES = new Set([2, 3, 4, 6, 7, 8, 10, 11]); // TINYINT, SMALLINT, INTEGER, UTINYINT, USMALLINT, UINTEGER, FLOAT, DOUBLE

/**
 * A query's result as typed columns, never as row objects: each chunk's vectors are copied into
 * Float64Arrays (numbers, instants) or dictionary codes (categories). A value is coerced exactly
 * as `rows()` + the given coercions would (the same functions on the same JS values), so the
 * columnar and row paths encode a row to the same bits. Plain numeric vectors skip the value
 * converter: their JS value is the number itself.
 */
export async function readColumns(
  session: DuckSession,
  sql: string,
  reads: readonly ColumnRead[],
  coerce: ValueCoercions,
  opts: { signal?: AbortSignal; onChunk?: (rows: number) => void; /** The rows expected, when known: the columns are allocated once. */ rows?: number } = {},
): Promise<{ rows: number; columns: TypedColumn[]; names: string[] }> {
  const stream = await session.stream(sql, { signal: opts.signal });
  if (stream.columnNames.length !== reads.length) throw new Error(`readColumns: ${reads.length} reads for ${stream.columnNames.length} columns`);
  let capacity = Math.max(1, opts.rows ?? 1 << 16);
  let n = 0;
  const num = reads.map((r) => (r === 'number' || r === 'date' ? new Float64Array(capacity) : undefined));
  const codes = reads.map((r) => (r === 'category' ? new Int32Array(capacity) : undefined));
  const dicts = reads.map((r) => (r === 'category' ? { list: [] as string[], index: new Map<string, number>() } : undefined));
  const js = reads.map((r) => (r === 'js' ? ([] as unknown[]) : undefined));
  const typeIds = stream.columnTypes.map((t) => t.typeId as number);
  for await (const chunk of stream.chunks()) {
    const m = chunk.rowCount;
    if (n + m > capacity) {
      while (n + m > capacity) capacity *= 2;
      num.forEach((a, j) => {
        if (!a) return;
        const b = new Float64Array(capacity);
        b.set(a.subarray(0, n));
        num[j] = b;
      });
      codes.forEach((a, j) => {
        if (!a) return;
        const b = new Int32Array(capacity);
        b.set(a.subarray(0, n));
        codes[j] = b;
      });
    }
    for (let j = 0; j < reads.length; j++) {
      const read = reads[j]!;
      if (read === 'number' && PLAIN_NUMBER_TYPES.has(typeIds[j]!)) {
        copyNumbers(chunk, j, num[j]!, n);
        continue;
      }
      if (read === 'category' && typeIds[j] === 17) {
        const vec = chunk.getColumnVector(j);
        const out = codes[j]!;
        const d = dicts[j]!;
        for (let i = 0; i < m; i++) out[n + i] = codeOf(d, coerce.toCategory(textOrNull(vec.getItem(i))));
        continue;
      }
      const values = chunkColumnJS(chunk, j);
      if (read === 'js') {
        const out = js[j]!;
        for (let i = 0; i < m; i++) out.push(values[i]);
      } else if (read === 'number') {
        const out = num[j]!;
        for (let i = 0; i < m; i++) out[n + i] = coerce.toNumber(values[i]) ?? Number.NaN;
      } else if (read === 'date') {
        const out = num[j]!;
        for (let i = 0; i < m; i++) out[n + i] = coerce.toDate(values[i])?.getTime() ?? Number.NaN;
      } else {
        const out = codes[j]!;
        const d = dicts[j]!;
        for (let i = 0; i < m; i++) out[n + i] = codeOf(d, coerce.toCategory(values[i]));
      }
    }
    n += m;
    opts.onChunk?.(n);
  }
  const fit = <T extends Float64Array | Int32Array>(a: T): T => (a.length === n ? a : (a.slice(0, n) as T));
  const columns: TypedColumn[] = reads.map((r, j) =>
    r === 'number'
      ? { kind: 'number', values: fit(num[j]!) }
      : r === 'date'
        ? { kind: 'date', ms: fit(num[j]!) }
        : r === 'category'
          ? { kind: 'category', codes: fit(codes[j]!), dictionary: dicts[j]!.list }
          : { kind: 'js', values: js[j]! },
  );
  return { rows: n, columns, names: stream.columnNames };
}

/**
 * A plain numeric vector's values and validity read directly: its typed array, and its validity
 * bits as 32-bit words (bit i is word i >>> 5, bit i & 31; undefined when every item is valid).
 * `getItem` tests validity with BigInt arithmetic, an allocation per value. Undefined for a
 * vector without a plain typed array (the caller then uses getItem).
 */
export function numericVector(chunk: DuckDBDataChunk, column: number): { values: ArrayLike<number>; valid: Uint32Array | undefined } | undefined {
  const vec = chunk.getColumnVector(column) as unknown as { items?: unknown; validity?: { data: BigUint64Array | null; offset: number } };
  const items = vec.items;
  const validity = vec.validity;
  if (!ArrayBuffer.isView(items) || items instanceof BigInt64Array || items instanceof BigUint64Array || items instanceof DataView || !validity || validity.offset !== 0) return undefined;
  const valid = validity.data ? new Uint32Array(validity.data.buffer, validity.data.byteOffset, validity.data.length * 2) : undefined;
  return { values: items as unknown as ArrayLike<number>, valid };
}

/** A plain numeric vector's values into `out` from `at`: NaN where null or not finite, as `getItem` would give them. */
function copyNumbers(chunk: DuckDBDataChunk, column: number, out: Float64Array, at: number): void {
  const m = chunk.rowCount;
  const direct = numericVector(chunk, column);
  if (!direct) {
    const vec = chunk.getColumnVector(column);
    for (let i = 0; i < m; i++) {
      const v = vec.getItem(i);
      out[at + i] = typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN;
    }
    return;
  }
  const { values, valid } = direct;
  for (let i = 0; i < m; i++) {
    const v = values[i]!;
    out[at + i] = (valid === undefined || (valid[i >>> 5]! >>> (i & 31)) & 1) && Number.isFinite(v) ? v : Number.NaN;
  }
}

/** A VARCHAR vector's item: its text, or null. */
function textOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** One column of a streamed chunk as a typed column (its own dictionary for categories), coerced as readColumns does. */
export function chunkTypedColumn(chunk: DuckDBDataChunk, column: number, typeId: number, read: Exclude<ColumnRead, 'js'>, coerce: ValueCoercions): TypedColumn {
  const m = chunk.rowCount;
  if (read === 'number') {
    const out = new Float64Array(m);
    if (PLAIN_NUMBER_TYPES.has(typeId)) {
      copyNumbers(chunk, column, out, 0);
    } else {
      const values = chunkColumnJS(chunk, column);
      for (let i = 0; i < m; i++) out[i] = coerce.toNumber(values[i]) ?? Number.NaN;
    }
    return { kind: 'number', values: out };
  }
  if (read === 'date') {
    const values = chunkColumnJS(chunk, column);
    const out = new Float64Array(m);
    for (let i = 0; i < m; i++) out[i] = coerce.toDate(values[i])?.getTime() ?? Number.NaN;
    return { kind: 'date', ms: out };
  }
  const d = { list: [] as string[], index: new Map<string, number>() };
  const codes = new Int32Array(m);
  if (typeId === 17) {
    const vec = chunk.getColumnVector(column);
    for (let i = 0; i < m; i++) codes[i] = codeOf(d, coerce.toCategory(textOrNull(vec.getItem(i))));
  } else {
    const values = chunkColumnJS(chunk, column);
    for (let i = 0; i < m; i++) codes[i] = codeOf(d, coerce.toCategory(values[i]));
  }
  return { kind: 'category', codes, dictionary: d.list };
}

function codeOf(d: { list: string[]; index: Map<string, number> }, c: string | null): number {
  if (c === null) return -1;
  let k = d.index.get(c);
  if (k === undefined) {
    k = d.list.length;
    d.list.push(c);
    d.index.set(c, k);
  }
  return k;
}
