/**
 * Transforms applied column by column: typed columns (readColumns) in, one row-major Float32Array
 * design matrix out, with no row objects in between. Every value goes through the same float64
 * arithmetic and the one rounding to float32 that transformRow (apply.ts) does, so a row encodes
 * to the same bits on both paths (test/unit/columnar.test.ts checks it).
 */
import type { CategoryColumn, ColumnRead, DateColumn, NumberColumn, TypedColumn, ValueCoercions } from '../data/duckdb';
import { fnv1a } from '../demo/random';
import { toCategory, toDate, toNumber } from './apply';
import type { FittedFeature, FittedTransforms } from './spec';

export const COERCIONS: ValueCoercions = { toNumber, toCategory, toDate };

/** How a fitted feature's raw column must be read. */
export function readFor(f: Pick<FittedFeature, 'kind'>): ColumnRead {
  return f.kind === 'one_hot' || f.kind === 'vocabulary' ? 'category' : f.kind === 'date_parts' ? 'date' : 'number';
}

/**
 * Rows `[start, end)` of the columns (one per feature of `t`, in order) into `out` (row-major,
 * `t.width` per row, from row 0). `out` must be zeroed: one-hot slots are only ever set.
 */
export function transformColumns(t: FittedTransforms, columns: readonly TypedColumn[], start: number, end: number, out = new Float32Array((end - start) * t.width)): Float32Array {
  const w = t.width;
  let at = 0;
  t.features.forEach((f, j) => {
    at += encodeColumn(f, columns[j]!, start, end, out, at, w);
  });
  return out;
}

function encodeColumn(f: FittedFeature, col: TypedColumn, start: number, end: number, out: Float32Array, at: number, w: number): number {
  switch (f.kind) {
    case 'identity':
    case 'standardize':
    case 'min_max': {
      const v = numbers(col, f.name);
      const { center, scale, impute } = f;
      for (let i = start, o = at; i < end; i++, o += w) {
        const x = v[i]!;
        out[o] = ((x === x ? x : impute) - center) / scale;
      }
      return 1;
    }
    case 'log': {
      const v = numbers(col, f.name);
      const { center, scale, impute, offset } = f;
      for (let i = start, o = at; i < end; i++, o += w) {
        const x = v[i]!;
        const y = x === x && x + offset > 0 ? x : impute;
        out[o] = (Math.log(y + offset) - center) / scale;
      }
      return 1;
    }
    case 'bucketize': {
      const v = numbers(col, f.name);
      const bounds = f.boundaries;
      for (let i = start, o = at; i < end; i++, o += w) {
        const x = v[i] === v[i] ? v[i]! : f.impute;
        let b = 0;
        while (b < bounds.length && x >= bounds[b]!) b++;
        out[o + b] = 1;
      }
      return bounds.length + 1;
    }
    case 'one_hot':
    case 'vocabulary': {
      const c = categories(col, f.name);
      const { slots, missing } = categorySlots(f, c.dictionary);
      for (let i = start, o = at; i < end; i++, o += w) {
        const code = c.codes[i]!;
        const s = code < 0 ? missing : slots[code]!;
        if (s >= 0) out[o + s] = 1;
      }
      return f.values.length + f.oovBuckets;
    }
    case 'date_parts': {
      const ms = dates(col, f.name);
      let width = 0;
      for (const part of f.parts) width += part === 'year' || part === 'weekend' ? 1 : part === 'month' ? 12 : part === 'day_of_week' ? 7 : 24;
      for (let i = start, o = at; i < end; i++, o += w) {
        const t = ms[i]!;
        const d = t === t ? new Date(t) : null;
        let k = o;
        for (const part of f.parts) {
          if (part === 'year') out[k++] = d ? (d.getUTCFullYear() - f.yearCenter) / f.yearScale : 0;
          else if (part === 'weekend') out[k++] = d && (d.getUTCDay() === 0 || d.getUTCDay() === 6) ? 1 : 0;
          else {
            const n = part === 'month' ? 12 : part === 'day_of_week' ? 7 : 24;
            if (d) out[k + (part === 'month' ? d.getUTCMonth() : part === 'day_of_week' ? d.getUTCDay() : d.getUTCHours())] = 1;
            k += n;
          }
        }
      }
      return width;
    }
  }
}

function numbers(col: TypedColumn, name: string): Float64Array {
  if (col.kind !== 'number') throw new Error(`feature "${name}" needs a number column, got ${col.kind}`);
  return (col as NumberColumn).values;
}
function categories(col: TypedColumn, name: string): CategoryColumn {
  if (col.kind !== 'category') throw new Error(`feature "${name}" needs a category column, got ${col.kind}`);
  return col;
}
function dates(col: TypedColumn, name: string): Float64Array {
  if (col.kind !== 'date') throw new Error(`feature "${name}" needs a date column, got ${col.kind}`);
  return (col as DateColumn).ms;
}

/** The rows `idx` of a typed column, as a column of the same kind (dictionaries are shared). */
/**
 * The one-hot slot of each dictionary entry and of a missing value (-1: no slot), by the
 * feature's values and OOV buckets: looked up once per dictionary, not once per row.
 */
export function categorySlots(f: Extract<FittedFeature, { kind: 'one_hot' | 'vocabulary' }>, dictionary: readonly string[]): { slots: Int32Array; missing: number } {
  const slotOf = (label: string | null): number => {
    const i = label === null ? -1 : f.values.indexOf(label);
    if (i >= 0) return i;
    return f.oovBuckets > 0 ? f.values.length + (fnv1a(label ?? '') % f.oovBuckets) : -1;
  };
  return { slots: Int32Array.from(dictionary, slotOf), missing: slotOf(null) };
}

export function pickRows(col: TypedColumn, idx: ArrayLike<number>): TypedColumn {
  const n = idx.length;
  switch (col.kind) {
    case 'number': {
      const v = new Float64Array(n);
      for (let k = 0; k < n; k++) v[k] = col.values[idx[k]!]!;
      return { kind: 'number', values: v };
    }
    case 'date': {
      const v = new Float64Array(n);
      for (let k = 0; k < n; k++) v[k] = col.ms[idx[k]!]!;
      return { kind: 'date', ms: v };
    }
    case 'category': {
      const v = new Int32Array(n);
      for (let k = 0; k < n; k++) v[k] = col.codes[idx[k]!]!;
      return { kind: 'category', codes: v, dictionary: col.dictionary };
    }
    case 'js':
      return { kind: 'js', values: Array.from({ length: n }, (_, k) => col.values[idx[k]!]) };
  }
}
