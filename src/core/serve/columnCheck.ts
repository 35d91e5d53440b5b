/**
 * The batch checks of instanceCheck.ts done column by column on a DuckDB chunk, where a column's
 * DuckDB type settles every rule but per-value ones: a numeric column for a numeric input (each
 * value: null where the input must be present, NaN or infinite, a fraction for an int), a
 * VARCHAR column for a categorical input (null where it must be present). The values come out
 * as the typed columns Scorer.scoreColumns takes, read as readColumns reads them, so a chunk
 * scores to the same bits as its rows through Scorer.score (test/unit/batchPredict.test.ts).
 * Anything else (other types, schema fields that must be present but the model does not read)
 * has no plan: the caller checks rows. A chunk with a problem returns undefined: the caller
 * checks its rows to name the first problem exactly as the row check does.
 */
import { chunkColumnJS, chunkTypedColumn, numericVector, PLAIN_NUMBER_TYPES, sqlIdent, sqlString, type TypedColumn } from '../data/duckdb';
import type { DuckDBDataChunk } from '@duckdb/node-api';
import { COERCIONS, readFor } from '../features/applyColumns';
import type { FittedTransforms } from '../features/spec';
import type { InstanceChecker } from './instanceCheck';

const VARCHAR = 17;
const FLOAT_TYPES = new Set([10, 11]);
/** BIGINT, UBIGINT: their items are bigints, which the row path turns into numbers. */
const BIG_TYPES = new Set([5, 9]);

interface ColumnRule {
  name: string;
  /** The column's index in the chunk. */
  at: number;
  read: 'number' | 'category';
  nonNull: boolean;
  /** An int input read from a FLOAT or DOUBLE column: every value must be whole. */
  whole: boolean;
  domain?: ReadonlySet<string>;
  /**
   * A coded category (codedQuery): the column at `at` holds the 1-based position of the value in
   * `values` (the model's domain, transform.json order), NULL otherwise; the column at `oovAt`
   * holds the text of a value outside the domain (NULL otherwise). Only those texts are decoded.
   */
  values?: readonly string[];
  oovAt?: number;
}

export interface ColumnPlan {
  rules: ColumnRule[];
}

/** A plan for the model's inputs (in transforms order) over a stream's columns, or undefined when some rule needs the row check. */
export function columnPlan(check: InstanceChecker, transforms: FittedTransforms, names: readonly string[], typeIds: readonly number[]): ColumnPlan | undefined {
  if (check.fields.some((r) => !r.input && (r.required || r.nonNull))) return undefined;
  const rules: ColumnRule[] = [];
  for (const f of transforms.features) {
    const r = check.fields.find((x) => x.name === f.name);
    const at = names.indexOf(f.name);
    if (!r || at < 0 || r.list) return undefined;
    const typeId = typeIds[at]!;
    const read = readFor(f);
    if (read === 'number' && (PLAIN_NUMBER_TYPES.has(typeId) || BIG_TYPES.has(typeId)) && (r.kind === 'number' || r.kind === 'float' || r.kind === 'int')) {
      rules.push({ name: f.name, at, read, nonNull: r.nonNull, whole: r.kind === 'int' && FLOAT_TYPES.has(typeId) });
    } else if (read === 'category' && typeId === VARCHAR && (r.kind === 'category' || r.kind === 'string')) {
      rules.push({ name: f.name, at, read, nonNull: r.nonNull, whole: false, domain: r.domain?.values });
    } else return undefined;
  }
  return { rules };
}

/** Domains up to this size are looked up in SQL (list_position is linear in the list). */
const MAX_CODED_VALUES = 64;

/**
 * The SELECT list that streams a plan's inputs with small categorical domains as codes (see
 * ColumnRule.values), and the plan over its columns. `input` is the scan of the input file.
 */
export function codedQuery(plan: ColumnPlan, transforms: FittedTransforms, input: string): { sql: string; plan: ColumnPlan } {
  const select: string[] = [];
  const rules = plan.rules.map((r): ColumnRule => {
    const col = sqlIdent(r.name);
    const f = transforms.features.find((x) => x.name === r.name);
    const values = f && (f.kind === 'one_hot' || f.kind === 'vocabulary') ? f.values : undefined;
    if (r.read === 'category' && values && values.length <= MAX_CODED_VALUES) {
      const list = `[${values.map(sqlString).join(', ')}]::VARCHAR[]`;
      select.push(`list_position(${list}, ${col})::INTEGER`, `CASE WHEN list_position(${list}, ${col}) IS NULL THEN ${col} END`);
      return { ...r, at: select.length - 2, oovAt: select.length - 1, values };
    }
    select.push(col);
    return { ...r, at: select.length - 1 };
  });
  return { sql: `SELECT ${select.join(', ')} FROM ${input}`, plan: { rules } };
}

/** A chunk of a plan's stream back as the rows of raw input values the row check reads. */
export function planRows(chunk: DuckDBDataChunk, plan: ColumnPlan): Record<string, unknown>[] {
  const n = chunk.rowCount;
  const rows: Record<string, unknown>[] = Array.from({ length: n }, () => ({}));
  for (const r of plan.rules) {
    const raw = chunkColumnJS(chunk, r.at);
    const oov = r.oovAt !== undefined ? chunkColumnJS(chunk, r.oovAt) : undefined;
    for (let i = 0; i < n; i++) {
      const v = raw[i];
      rows[i]![r.name] = r.values ? (typeof v === 'number' ? r.values[v - 1] : (oov![i] ?? null)) : v;
    }
  }
  return rows;
}

/**
 * A chunk's inputs as typed columns when every value passes, with the rows outside each
 * categorical input's domain counted into `outOfDomain`; undefined when some value fails.
 */
export function checkedColumns(chunk: DuckDBDataChunk, plan: ColumnPlan, outOfDomain: Record<string, number>): TypedColumn[] | undefined {
  const n = chunk.rowCount;
  const columns: TypedColumn[] = [];
  const counts: [string, number][] = [];
  for (const r of plan.rules) {
    if (r.read === 'number') {
      const direct = numericVector(chunk, r.at);
      if (direct && direct.valid === undefined && direct.values instanceof Float64Array && direct.values.length === n) {
        // A DOUBLE vector without nulls is used in place: only checked, not copied.
        const values = direct.values;
        for (let i = 0; i < n; i++) {
          const v = values[i]!;
          if (!Number.isFinite(v) || (r.whole && !Number.isInteger(v))) return undefined;
        }
        columns.push({ kind: 'number', values });
        continue;
      }
      const out = new Float64Array(n);
      if (direct) {
        const { values, valid } = direct;
        for (let i = 0; i < n; i++) {
          if (valid === undefined || (valid[i >>> 5]! >>> (i & 31)) & 1) {
            const v = values[i]!;
            if (!Number.isFinite(v) || (r.whole && !Number.isInteger(v))) return undefined;
            out[i] = v;
          } else if (r.nonNull) return undefined;
          else out[i] = Number.NaN;
        }
        columns.push({ kind: 'number', values: out });
        continue;
      }
      const vec = chunk.getColumnVector(r.at);
      for (let i = 0; i < n; i++) {
        const v = vec.getItem(i);
        if (typeof v === 'number') {
          if (!Number.isFinite(v) || (r.whole && !Number.isInteger(v))) return undefined;
          out[i] = v;
        } else if (typeof v === 'bigint') out[i] = Number(v);
        else if (v === null && !r.nonNull) out[i] = Number.NaN;
        else return undefined;
      }
      columns.push({ kind: 'number', values: out });
    } else if (r.values) {
      // Codes from SQL: the domain first, then the texts outside it as they come.
      const codes = chunk.getColumnVector(r.at);
      // The INTEGER codes read from the vector's memory (no JS value per row) when it allows.
      const direct = numericVector(chunk, r.at);
      const code = direct
        ? (i: number) => (direct.valid === undefined || (direct.valid[i >>> 5]! >>> (i & 31)) & 1 ? direct.values[i]! : null)
        : (i: number) => codes.getItem(i) as number | null;
      let oov: ReturnType<DuckDBDataChunk['getColumnVector']> | undefined;
      const dictionary = [...r.values];
      const index = new Map<string, number>();
      const out = new Int32Array(n);
      let outside = 0;
      for (let i = 0; i < n; i++) {
        const k = code(i);
        if (typeof k === 'number') {
          out[i] = k - 1;
          continue;
        }
        oov ??= chunk.getColumnVector(r.oovAt!);
        const text = oov.getItem(i);
        if (text === null && r.nonNull) return undefined;
        const c = typeof text === 'string' && text !== '' ? text : null;
        if (c === null) {
          out[i] = -1;
          continue;
        }
        let j = index.get(c);
        if (j === undefined) {
          j = dictionary.length;
          dictionary.push(c);
          index.set(c, j);
        }
        out[i] = j;
        outside++;
      }
      if (outside > 0) counts.push([r.name, outside]);
      columns.push({ kind: 'category', codes: out, dictionary });
    } else {
      if (r.nonNull) {
        const vec = chunk.getColumnVector(r.at);
        for (let i = 0; i < n; i++) if (vec.getItem(i) === null) return undefined;
      }
      const col = chunkTypedColumn(chunk, r.at, VARCHAR, 'category', COERCIONS);
      if (col.kind !== 'category') return undefined;
      if (r.domain) {
        const outside = col.dictionary.map((c) => !r.domain!.has(c));
        let count = 0;
        for (let i = 0; i < n; i++) if (col.codes[i]! >= 0 && outside[col.codes[i]!]) count++;
        if (count > 0) counts.push([r.name, count]);
      }
      columns.push(col);
    }
  }
  for (const [name, count] of counts) outOfDomain[name] = (outOfDomain[name] ?? 0) + count;
  return columns;
}
