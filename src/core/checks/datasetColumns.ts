/**
 * The checks' data without row objects: the split training made (loadTrainedOn: same files, same
 * rows dropped, same seed), and any other column of the dataset read once as a typed column of the
 * kind DuckDB holds (text as dictionary codes, numbers, booleans, instants). A raw column gives
 * back, row by row, the value a row object of the dataset held, so the checks' tests on values
 * (toCategory, toNumber, toDate, equality) read as they did on rows, at a fraction of the memory:
 * a row object costs its fields, its hidden class and a string per text value. One difference: a
 * DOUBLE that is not finite (inf, NaN) reads as missing, as toNumber reads it everywhere else.
 */
import { readColumns, sqlIdent, type ColumnRead, type DuckSession, type Row, type TypedColumn, type ValueCoercions } from '../data/duckdb';
import { fmix32, fnv1a } from '../demo/random';
import { COERCIONS, readFor } from '../features/applyColumns';
import type { FittedTransforms } from '../features/spec';
import type { ModelConfig, ProjectConfig } from '../project/config';
import type { Scorer } from '../serve/scorer';
import { loadTrainedOn, type ColumnarSplit } from '../train/columnarSplit';
import { valueAt } from '../train/columns';
import { numberHash, sameNumber } from './rowClasses';

export interface CheckData extends ColumnarSplit {
  /** The dataset's columns in table order, with DuckDB's type of each. */
  columns: { name: string; type: string }[];
}

/** One column of the dataset, typed by what DuckDB holds. */
export interface RawColumn {
  /** The value row i's object held: a string, number, boolean, Date or null. */
  value(i: number): unknown;
  /** Whether rows i and j hold equal values (types kept apart, dates as instants, null equal to null). */
  same(i: number, j: number): boolean;
  /** A 32-bit hash of row i's value, equal where `same` is. */
  hash(i: number): number;
  /** Row i's value as toNumber reads it (NaN where null). */
  number(i: number): number;
}

export async function loadCheckData(session: DuckSession, project: ProjectConfig, m: ModelConfig, signal?: AbortSignal): Promise<CheckData> {
  const data = await loadTrainedOn(session, project, m, signal);
  const described = await session.rows(`DESCRIBE SELECT * EXCLUDE (__row) FROM ${data.table}`, { signal });
  return { ...data, columns: described.map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) })) };
}

type Kind = 'text' | 'number' | 'boolean' | 'date' | 'other';

/** How a DuckDB type comes out of rows() (checked against DuckDB in test/unit/checks.columns.test.ts). */
function kindOf(type: string): Kind {
  if (type === 'VARCHAR' || type === 'UUID' || type.startsWith('ENUM(')) return 'text';
  if (type === 'BOOLEAN') return 'boolean';
  if (/^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/.test(type)) return 'number';
  if (type === 'DATE' || /^TIMESTAMP(_S|_MS|_NS| WITH TIME ZONE)?$/.test(type)) return 'date';
  return 'other';
}

const READ: Record<Kind, ColumnRead> = { text: 'category', number: 'number', boolean: 'number', date: 'date', other: 'js' };
/** Text kept as it is (an empty string is a value here, as in a row object). */
const RAW_TEXT: ValueCoercions = { ...COERCIONS, toCategory: (v) => (v === null || v === undefined ? null : String(v)) };

/** The named columns of the dataset (every row, by __row), each typed by what DuckDB holds. */
export async function readRawColumns(session: DuckSession, data: Pick<CheckData, 'table' | 'rows' | 'columns'>, names: readonly string[], signal?: AbortSignal): Promise<Map<string, RawColumn>> {
  const wanted = [...new Set(names)];
  if (wanted.length === 0) return new Map();
  const typeOf = new Map(data.columns.map((c) => [c.name, c.type]));
  const kinds = wanted.map((n) => {
    const type = typeOf.get(n);
    if (type === undefined) throw new Error(`the dataset has no column "${n}"`);
    return kindOf(type);
  });
  const out = await readColumns(session, `SELECT ${wanted.map(sqlIdent).join(', ')} FROM ${data.table} ORDER BY __row`, kinds.map((k) => READ[k]), RAW_TEXT, { signal, rows: data.rows });
  return new Map(wanted.map((n, j) => [n, rawColumn(kinds[j]!, out.columns[j]!)]));
}

function rawColumn(kind: Kind, col: TypedColumn): RawColumn {
  switch (col.kind) {
    case 'category': {
      const { codes, dictionary } = col;
      const numbers = Float64Array.from(dictionary, (s) => COERCIONS.toNumber(s) ?? Number.NaN);
      return {
        value: (i) => (codes[i]! < 0 ? null : dictionary[codes[i]!]!),
        same: (i, j) => codes[i] === codes[j],
        hash: (i) => fmix32(codes[i]!),
        number: (i) => (codes[i]! < 0 ? Number.NaN : numbers[codes[i]!]!),
      };
    }
    case 'number':
    case 'date': {
      // Missing is NaN: equal to missing, as null is in a row object.
      const v = col.kind === 'number' ? col.values : col.ms;
      const value: (i: number) => unknown =
        kind === 'boolean' ? (i) => (v[i] !== v[i] ? null : v[i] === 1) : col.kind === 'date' ? (i) => (v[i] !== v[i] ? null : new Date(v[i]!)) : (i) => (v[i] !== v[i] ? null : v[i]!);
      return { value, same: (i, j) => sameNumber(v[i]!, v[j]!), hash: (i) => numberHash(v[i]!), number: (i) => v[i]! };
    }
    case 'js': {
      const v = col.values;
      return {
        value: (i) => v[i] ?? null,
        same: (i, j) => canonical(v[i]) === canonical(v[j]),
        hash: (i) => fnv1a(canonical(v[i])),
        number: (i) => COERCIONS.toNumber(v[i]) ?? Number.NaN,
      };
    }
  }
}

/** One value as text that is equal exactly when the values are: types kept apart, dates as instants. */
function canonical(v: unknown): string {
  if (v === null || v === undefined) return 'n';
  if (v instanceof Date) return `d${v.getTime()}`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'n' : `f${v}`;
  if (typeof v === 'bigint') return `f${v}`;
  if (typeof v === 'boolean') return v ? 't' : 'b';
  if (typeof v === 'object') return `o${JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x))}`;
  return `s${String(v)}`;
}

/** Row objects of the rows idx only (examples in a message), from raw columns. */
export function rowsAt(columns: ReadonlyMap<string, RawColumn>, idx: readonly number[]): Row[] {
  return idx.map((i) => Object.fromEntries([...columns].map(([name, c]) => [name, c.value(i)])));
}

/**
 * The typed columns a set of fitted transforms reads (one per feature, read as readFor says), over
 * every row: the split's own feature columns where they were read the same way, one query for the
 * others (a registered version may read a column the model's entry no longer lists, or read it
 * another way).
 */
export async function transformInputs(session: DuckSession, data: CheckData, m: ModelConfig, t: FittedTransforms, signal?: AbortSignal): Promise<TypedColumn[]> {
  const reads = t.features.map((f) => readFor(f));
  const own = t.features.map((f, j) => {
    const k = m.features.findIndex((x) => x.name === f.name);
    return k >= 0 && readFor(m.features[k]!.transform) === reads[j] ? data.features[k] : undefined;
  });
  // A column the data lacks reads as missing in every row, as a row object's absent field does.
  const have = new Set(data.columns.map((c) => c.name));
  t.features.forEach((f, j) => {
    if (!own[j] && !have.has(f.name)) own[j] = missingColumn(reads[j]!, data.rows);
  });
  const toRead = t.features.map((_, j) => j).filter((j) => !own[j]);
  if (toRead.length > 0) {
    const select = toRead.map((j) => sqlIdent(t.features[j]!.name)).join(', ');
    const out = await readColumns(session, `SELECT ${select} FROM ${data.table} ORDER BY __row`, toRead.map((j) => reads[j]!), COERCIONS, { signal, rows: data.rows });
    toRead.forEach((j, k) => (own[j] = out.columns[k]!));
  }
  return own as TypedColumn[];
}

function missingColumn(read: ColumnRead, rows: number): TypedColumn {
  if (read === 'category') return { kind: 'category', codes: new Int32Array(rows).fill(-1), dictionary: [] };
  if (read === 'date') return { kind: 'date', ms: new Float64Array(rows).fill(Number.NaN) };
  return { kind: 'number', values: new Float64Array(rows).fill(Number.NaN) };
}

/**
 * A scorer's outputs on n rows of its inputs (transformInputs, picked): typed columns where it
 * scores them, else row objects of these rows alone (an imported ONNX model scores rows).
 */
export function scoreColumnsOf(scorer: Scorer, columns: readonly TypedColumn[], n: number): Float32Array {
  if (scorer.scoreColumns) return scorer.scoreColumns(columns, n);
  const names = scorer.transforms.features.map((f) => f.name);
  return scorer.score(Array.from({ length: n }, (_, i) => Object.fromEntries(names.map((f, j) => [f, valueAt(columns[j]!, i)]))));
}
