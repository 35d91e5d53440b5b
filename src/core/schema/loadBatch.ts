/**
 * A batch loaded for validation: every row kept, each with its file and position, so a check
 * can say where a bad value is. CSV/TSV are read twice: once with the schema's types, only for
 * DuckDB's reject table (line, column and kind of every parse or cast failure), and once as
 * text, leniently, into the table the checks run on (a cast failure must not drop the row's
 * other cells from presence, domain or drift checks). Other formats are read as DuckDB types them.
 */
import path from 'node:path';
import type { DuckSession, QueryOptions } from '../data/duckdb';
import { sqlIdent, sqlString } from '../data/duckdb';
import { featureTypeOf } from '../data/profile';
import { explainReadError, type DataSource } from '../data/source';
import { badInput, isProdmlError } from '../errors';
import { indexRecords, readCsvHeader, recordAtDuckLine, type RecordIndex } from './lineIndex';
import type { FeatureType, Schema } from './types';

export const FILE_COLUMN = '__prodml_file';

export interface BatchColumn {
  name: string;
  /** 1-based position in the file. */
  index: number;
  /** DuckDB type of the raw column (VARCHAR for every CSV column). */
  duckdbType: string;
}

export interface BatchFile {
  /** Absolute path, as DuckDB names it. */
  path: string;
  /** What we show: relative to where the data was named from. */
  display: string;
  firstRowid: number;
  rows: number;
}

export interface RejectTables {
  errors: string;
  scans: string;
}

let counter = 0;

export class Batch {
  private indexes = new Map<string, Promise<RecordIndex>>();
  /**
   * CSV columns whose cells mostly fail to cast: read as text in the typed read (DuckDB spends
   * ~10 µs storing each reject, a second per 100,000), their failures found in SQL instead.
   */
  castInSql = new Set<string>();

  private constructor(
    private readonly session: DuckSession,
    readonly source: DataSource,
    /** Table of raw cells: one row per record, `rowid` in file order, FILE_COLUMN naming the file. */
    readonly raw: string,
    readonly columns: BatchColumn[],
    readonly files: BatchFile[],
    /** CSV/TSV only. */
    readonly delimiter: string | undefined,
    /** CSV/TSV only: DuckDB's rejects of the typed read. */
    readonly rejects: RejectTables | undefined,
    /** Per file, DuckDB line numbers of records the lenient read skipped (bad encoding). */
    private readonly dropped: Map<string, Set<number>>,
    private readonly tables: string[],
    /** CSV/TSV: the file whose header line 1 column-level anomalies point at. */
    readonly headerFile?: { path: string; display: string },
  ) {}

  get textual(): boolean {
    return this.delimiter !== undefined;
  }

  /**
   * Loads `source`; `types` gives the schema type to read each column of a CSV with (columns not
   * named are read as text). `rejects: false` skips that typed read (a baseline needs no lines).
   * Parquet is read in place (a view, see parquetView) unless `inPlace: false` copies its rows.
   */
  static async load(session: DuckSession, source: DataSource, types: Map<string, FeatureType>, q: QueryOptions & { rejects?: boolean; inPlace?: boolean } = {}): Promise<Batch> {
    const prefix = `prodml_v${++counter}`;
    const raw = `${prefix}_raw`;
    const tables = [raw];
    try {
      if (source.format === 'parquet' && q.inPlace !== false) {
        const view = await parquetView(session, source, raw, q);
        if (view) {
          const described = await session.rows(`DESCRIBE SELECT * EXCLUDE (${sqlIdent(FILE_COLUMN)}, rowid) FROM ${raw}`);
          const columns = described.map((r, i) => ({ name: String(r['column_name']), index: i + 1, duckdbType: String(r['column_type']) }));
          return new Batch(session, source, raw, columns, view, undefined, undefined, new Map(), tables);
        }
      }
      if (source.format !== 'csv' && source.format !== 'tsv') {
        await session.run(`CREATE TEMP TABLE ${raw} AS SELECT * FROM ${scanWithFilename(source)}`, q);
        const described = await session.rows(`DESCRIBE SELECT * EXCLUDE (${sqlIdent(FILE_COLUMN)}) FROM ${raw}`);
        const columns = described.map((r, i) => ({ name: String(r['column_name']), index: i + 1, duckdbType: String(r['column_type']) }));
        const files = await fileRows(session, raw, source);
        return new Batch(session, source, raw, columns, files, undefined, undefined, new Map(), tables);
      }
      const all = await listFiles(session, source);
      const first = all[0]!;
      const header = await readCsvHeader(first, source.format);
      await sameHeaders(source, all, header.names);
      const names = uniqueNames(header.names);
      const dialect = `header = true, auto_detect = false, delim = ${sqlString(header.delimiter)}, quote = '"', escape = '"'`;
      const columnsArg = (type: (n: string) => string) => `{${names.map((n) => `${sqlString(n)}: ${sqlString(type(n))}`).join(', ')}}`;
      const rejects = { errors: `${prefix}_rejects`, scans: `${prefix}_reject_scans` };
      const lenient = { errors: `${prefix}_lenient_rejects`, scans: `${prefix}_lenient_scans` };
      tables.push(rejects.errors, rejects.scans, lenient.errors, lenient.scans);
      const rejectArgs = (t: RejectTables) =>
        `store_rejects = true, ignore_errors = true, rejects_table = ${sqlString(t.errors)}, rejects_scan = ${sqlString(t.scans)}`;
      await session.run(
        `CREATE TEMP TABLE ${raw} AS SELECT * FROM read_csv(${sqlString(source.path)}, ${dialect}, columns = ${columnsArg(() => 'VARCHAR')}, ` +
          `strict_mode = false, null_padding = true, filename = ${sqlString(FILE_COLUMN)}, ${rejectArgs(lenient)})`,
        q,
      );
      const castInSql = new Set<string>();
      if (q.rejects !== false) {
        for (const n of await massCastFailures(session, raw, names, types)) castInSql.add(n);
        const readAs = (n: string) => {
          const t = types.get(n);
          return t && !castInSql.has(n) ? duckdbTypeOf(t) : 'VARCHAR';
        };
        // Every column is aggregated so every cell is cast: DuckDB skips casting columns a query does not use.
        const touch = names.map((n) => `count(${sqlIdent(n)})`).join(', ');
        await session.run(`SELECT ${touch} FROM read_csv(${sqlString(source.path)}, ${dialect}, columns = ${columnsArg(readAs)}, ${rejectArgs(rejects)})`, q);
      }
      const columns = names.map((name, i) => ({ name, index: i + 1, duckdbType: 'VARCHAR' }));
      const files = await fileRows(session, raw, source);
      const headerFile = { path: first, display: displayPath(source, first) };
      const kept = q.rejects !== false ? rejects : undefined;
      const batch = new Batch(session, source, raw, columns, files, header.delimiter, kept, await droppedLines(session, lenient), tables, headerFile);
      batch.castInSql = castInSql;
      return batch;
    } catch (e) {
      await dropAll(session, tables);
      if (q.signal?.aborted || isProdmlError(e)) throw e;
      throw await explainReadError(e, source);
    }
  }

  get rows(): number {
    return this.files.reduce((a, f) => a + f.rows, 0);
  }

  column(name: string): BatchColumn | undefined {
    return this.columns.find((c) => c.name === name);
  }

  fileOf(filePath: string): BatchFile | undefined {
    return this.files.find((f) => f.path === filePath) ?? this.files.find((f) => path.resolve(f.path) === path.resolve(filePath));
  }

  /** The file a row id belongs to and the row's 0-based position among that file's rows. */
  locateRow(rowid: number): { file: BatchFile; k: number } | undefined {
    for (let i = this.files.length - 1; i >= 0; i--) {
      const f = this.files[i]!;
      if (rowid >= f.firstRowid) return { file: f, k: rowid - f.firstRowid };
    }
    return undefined;
  }

  /** The 1-based line where data row `k` (0-based) of `file` starts; undefined for formats without lines. */
  async lineOfRow(file: BatchFile, k: number): Promise<number | undefined> {
    if (this.source.format === 'parquet' || this.source.format === 'json') return undefined;
    const index = await this.index(file.path);
    const dropped = this.dropped.get(file.path);
    // CSV: record 0 is the header. Records the lenient read dropped have no row.
    let r = this.textual ? k + 1 : k;
    if (dropped && dropped.size > 0) {
      const skipped = [...dropped].map((d) => recordAtDuckLine(index, d)).sort((a, b) => a - b);
      for (const s of skipped) if (s <= r) r++;
    }
    return r < index.count ? index.startLine[r] : undefined;
  }

  /** The physical line of a record DuckDB numbered `duckLine` in a reject. */
  async lineOfReject(filePath: string, duckLine: number): Promise<number> {
    const index = await this.index(filePath);
    const r = recordAtDuckLine(index, duckLine);
    return r >= 0 ? index.startLine[r]! : duckLine;
  }

  private index(filePath: string): Promise<RecordIndex> {
    let p = this.indexes.get(filePath);
    if (!p) {
      p = indexRecords(filePath, this.delimiter !== undefined ? { delimiter: this.delimiter } : {});
      this.indexes.set(filePath, p);
    }
    return p;
  }

  async dispose(): Promise<void> {
    await dropAll(this.session, this.tables);
  }
}

/**
 * Parquet is validated in place: `raw` becomes a view over the file(s), not a copy in memory, so
 * memory stays flat however many rows there are (every check is an aggregate or a LIMIT query).
 * The view's `rowid` column numbers the rows as the copied table would (files in name order, rows
 * in file order): each file's first row id plus its Parquet row number. Undefined when a column
 * name would clash with those the view adds (then the rows are copied as before).
 */
async function parquetView(session: DuckSession, source: DataSource, raw: string, q: QueryOptions): Promise<BatchFile[] | undefined> {
  const p = sqlString(source.path);
  const names = (await session.rows(`DESCRIBE SELECT * FROM read_parquet(${p})`, q)).map((r) => String(r['column_name']).toLowerCase());
  if (names.some((n) => n === 'rowid' || n === 'file_row_number' || n === FILE_COLUMN)) return undefined;
  const meta = await session.rows(`SELECT file_name AS f, sum(num_rows) AS n FROM parquet_file_metadata(${p}) GROUP BY 1 ORDER BY 1`, q);
  const files: BatchFile[] = [];
  let first = 0;
  for (const m of meta) {
    const rows = Number(m['n']);
    if (rows > 0) files.push({ path: String(m['f']), display: displayPath(source, String(m['f'])), firstRowid: first, rows });
    first += rows;
  }
  const file = sqlIdent(FILE_COLUMN);
  const offset = files.length <= 1 ? '0' : `CASE ${file} ${files.map((f) => `WHEN ${sqlString(f.path)} THEN ${f.firstRowid}`).join(' ')} END`;
  await session.run(
    `CREATE TEMP VIEW ${raw} AS SELECT * EXCLUDE (file_row_number), (${offset} + file_row_number) AS rowid FROM read_parquet(${p}, filename = ${sqlString(FILE_COLUMN)}, file_row_number = true)`,
    q,
  );
  return files;
}

async function fileRows(session: DuckSession, raw: string, source: DataSource): Promise<BatchFile[]> {
  const rows = await session.rows(`SELECT ${sqlIdent(FILE_COLUMN)} AS f, min(rowid) AS first, count(*) AS n FROM ${raw} GROUP BY 1 ORDER BY 2`);
  return rows.map((r) => ({ path: String(r['f']), display: displayPath(source, String(r['f'])), firstRowid: Number(r['first']), rows: Number(r['n']) }));
}

/** A file of a glob, named the way the user named the glob (relative stays relative). */
function displayPath(source: DataSource, file: string): string {
  if (!isGlob(source.path)) return source.display;
  const rel = path.relative(globRoot(path.dirname(source.path)), file);
  return path.join(globRoot(path.dirname(source.display)), rel);
}

async function droppedLines(session: DuckSession, t: RejectTables): Promise<Map<string, Set<number>>> {
  const out = new Map<string, Set<number>>();
  const rows = await session.rows(`SELECT DISTINCT s.file_path AS f, e.line FROM ${t.errors} e JOIN ${t.scans} s USING (scan_id, file_id)`);
  for (const r of rows) {
    const f = String(r['f']);
    out.set(f, (out.get(f) ?? new Set()).add(Number(r['line'])));
  }
  return out;
}

async function dropAll(session: DuckSession, tables: string[]): Promise<void> {
  // `raw` is a view over a Parquet file, else a table: dropping the other kind fails harmlessly.
  for (const t of tables) {
    await session.run(`DROP TABLE IF EXISTS ${t}`).catch(() => undefined);
    await session.run(`DROP VIEW IF EXISTS ${t}`).catch(() => undefined);
  }
}

const isGlob = (p: string) => /[*?[]/.test(p);

function globRoot(p: string): string {
  const parts = p.split(/[\\/]/);
  const i = parts.findIndex(isGlob);
  return i < 0 ? p : parts.slice(0, i).join(path.sep) || '.';
}

async function listFiles(session: DuckSession, source: DataSource): Promise<string[]> {
  if (!isGlob(source.path)) return [source.path];
  const rows = await session.rows(`SELECT file FROM glob(${sqlString(source.path)}) ORDER BY file`);
  if (rows.length === 0) throw badInput(source.display, 'no files match this path');
  return rows.map((r) => String(r['file']));
}

/**
 * A glob is one dataset, read with one header: files whose headers differ would be read
 * misaligned, cell by cell, so they are refused with the difference named.
 */
async function sameHeaders(source: DataSource, files: string[], names: string[]): Promise<void> {
  for (const file of files.slice(1)) {
    const other = (await readCsvHeader(file, source.format as 'csv' | 'tsv')).names;
    if (other.length === names.length && other.every((n, i) => n === names[i])) continue;
    const missing = names.filter((n) => !other.includes(n));
    const extra = other.filter((n) => !names.includes(n));
    const diff = [missing.length ? `lacks ${missing.join(', ')}` : '', extra.length ? `adds ${extra.join(', ')}` : '', !missing.length && !extra.length ? 'orders its columns differently' : '']
      .filter(Boolean)
      .join(' and ');
    throw badInput(
      source.display,
      `the files of this glob must share one header, but ${displayPath(source, file)} ${diff} compared with ${displayPath(source, files[0]!)}; validate such files one at a time`,
    );
  }
}

function scanWithFilename(source: DataSource): string {
  const p = sqlString(source.path);
  const f = `filename = ${sqlString(FILE_COLUMN)}`;
  switch (source.format) {
    case 'parquet':
      return `read_parquet(${p}, ${f})`;
    case 'json':
      return `read_json_auto(${p}, ${f})`;
    case 'jsonl':
      return `read_json_auto(${p}, format = 'newline_delimited', ${f})`;
    default:
      return `read_csv(${p}, header = true, ${f})`;
  }
}

/** Header names as DuckDB needs them: unique and non-empty. */
function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n, i) => {
    let name = n || `column${i}`;
    for (let k = 1; seen.has(name); k++) name = `${n || `column${i}`}_${k}`;
    seen.add(name);
    return name;
  });
}

/** The DuckDB type a feature of this type is read as. */
export function duckdbTypeOf(type: FeatureType): string {
  return { int: 'BIGINT', float: 'DOUBLE', string: 'VARCHAR', bool: 'BOOLEAN', timestamp: 'TIMESTAMP' }[type];
}

/** The element type of a DuckDB list type (`BIGINT[]` -> `BIGINT`), or undefined for scalars. */
export function listElementType(duckdbType: string): string | undefined {
  return duckdbType.endsWith('[]') ? duckdbType.slice(0, -2) : undefined;
}

/**
 * SQL turning a raw value `x` of DuckDB type `rawType` into the schema `type`, or NULL when it is
 * not one. Stricter than DuckDB's casts where those are lenient: '1.5' is not an int (DuckDB
 * rounds it to 2).
 */
export function typedValue(x: string, rawType: string, type: FeatureType): string | undefined {
  const raw = featureTypeOf(rawType);
  const text = rawType === 'JSON' ? `(${x} ->> '$')` : rawType === 'VARCHAR' ? `trim(${x})` : undefined;
  if (text !== undefined) {
    switch (type) {
      case 'int':
        return `CASE WHEN regexp_full_match(${text}, '[+-]?[0-9]+') THEN TRY_CAST(${text} AS BIGINT) END`;
      case 'string':
        return rawType === 'JSON' ? text : x;
      default:
        return `TRY_CAST(${text} AS ${duckdbTypeOf(type)})`;
    }
  }
  switch (type) {
    case 'string':
      return `${x}::VARCHAR`;
    case 'int':
      if (raw === 'int') return `${x}::BIGINT`;
      if (raw === 'float') return `CASE WHEN ${x} = trunc(${x}) THEN TRY_CAST(${x} AS BIGINT) END`;
      return undefined;
    case 'float':
      return raw === 'int' || raw === 'float' ? `${x}::DOUBLE` : undefined;
    case 'bool':
      return raw === 'bool' ? x : raw === 'int' ? `CASE WHEN ${x} IN (0, 1) THEN ${x} = 1 END` : undefined;
    case 'timestamp':
      return raw === 'timestamp' ? `${x}::TIMESTAMP` : undefined;
  }
}

/** Types to read each schema feature of a CSV with, so DuckDB's rejects name every cast failure. */
export function csvReadTypes(schema: Schema, checked: (name: string) => boolean): Map<string, FeatureType> {
  const out = new Map<string, FeatureType>();
  for (const [name, f] of Object.entries(schema.features)) if (checked(name)) out.set(name, f.type);
  return out;
}

/** Above this many cast failures in a column, DuckDB's reject table costs more than it tells. */
export const MASS_CAST_FAILURES = 1000;

async function massCastFailures(session: DuckSession, raw: string, names: string[], types: Map<string, FeatureType>): Promise<string[]> {
  const typed = names.filter((n) => types.has(n) && types.get(n) !== 'string');
  if (typed.length === 0) return [];
  // DuckDB's own cast, not the stricter typedValue: it is the reader's failures that cost.
  const counts = typed.map((n, i) => `count_if(${sqlIdent(n)} IS NOT NULL AND TRY_CAST(${sqlIdent(n)} AS ${duckdbTypeOf(types.get(n)!)}) IS NULL) AS c${i}`);
  const row = (await session.rows(`SELECT ${counts.join(', ')} FROM ${raw}`))[0] ?? {};
  return typed.filter((_, i) => Number(row[`c${i}`] ?? 0) > MASS_CAST_FAILURES);
}
