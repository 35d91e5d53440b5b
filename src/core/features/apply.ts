/**
 * The one function that turns a row into model inputs. Training, evaluation, batch prediction
 * and online serving all call transformRow, so a row cannot be encoded two ways. Values may
 * arrive typed (DuckDB: numbers, bigints, booleans, Dates) or as JSON (numbers, strings): the
 * coercions below map both to the same float64 before one rounding to float32.
 */
import { fnv1a } from '../demo/random';
import type { FittedFeature, FittedTransforms } from './spec';

/** A number, or null when missing or not numeric. Booleans count as 0/1. */
export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return null;
    if (t === 'true') return 1;
    if (t === 'false') return 0;
    const n = Number(t);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A category label, or null when missing. Numbers print as JavaScript prints them. */
export function toCategory(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString().replace(/T00:00:00\.000Z$/, '');
  return String(v);
}

/** A date, or null. Strings without a time zone are UTC (as DuckDB reads them), not local time. */
export function toDate(v: unknown): Date | null {
  if (v === null || v === undefined || v === '') return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v;
  if (typeof v === 'number') return new Date(v);
  if (typeof v === 'string') {
    const t = v.trim();
    const iso = /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? t : `${t.replace(' ', 'T')}Z`;
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

function scaled(f: { center: number; scale: number }, x: number): number {
  return (x - f.center) / f.scale;
}

/** Writes one feature's outputs at `at`; returns how many it wrote. */
function encode(f: FittedFeature, value: unknown, out: Float32Array, at: number): number {
  switch (f.kind) {
    case 'identity':
    case 'standardize':
    case 'min_max':
      out[at] = scaled(f, toNumber(value) ?? f.impute);
      return 1;
    case 'log': {
      const x = toNumber(value);
      const v = x !== null && x + f.offset > 0 ? x : f.impute;
      out[at] = scaled(f, Math.log(v + f.offset));
      return 1;
    }
    case 'bucketize': {
      const x = toNumber(value) ?? f.impute;
      let b = 0;
      while (b < f.boundaries.length && x >= f.boundaries[b]!) b++;
      out[at + b] = 1;
      return f.boundaries.length + 1;
    }
    case 'one_hot':
    case 'vocabulary': {
      const width = f.values.length + f.oovBuckets;
      const c = toCategory(value);
      const i = c === null ? -1 : f.values.indexOf(c);
      if (i >= 0) out[at + i] = 1;
      else if (f.oovBuckets > 0) out[at + f.values.length + (fnv1a(c ?? '') % f.oovBuckets)] = 1;
      return width;
    }
    case 'date_parts': {
      const d = toDate(value);
      let k = at;
      for (const part of f.parts) {
        if (part === 'year') out[k++] = d ? (d.getUTCFullYear() - f.yearCenter) / f.yearScale : 0;
        else if (part === 'weekend') out[k++] = d && (d.getUTCDay() === 0 || d.getUTCDay() === 6) ? 1 : 0;
        else {
          const n = part === 'month' ? 12 : part === 'day_of_week' ? 7 : 24;
          if (d) out[k + (part === 'month' ? d.getUTCMonth() : part === 'day_of_week' ? d.getUTCDay() : d.getUTCHours())] = 1;
          k += n;
        }
      }
      return k - at;
    }
  }
}

/**
 * A row's model inputs, in the order of `t.features` and each feature's `outputs`, written at
 * `offset` of `out`, whose row must be zeros (a new Float32Array is): the encoders set only the
 * positions that are not zero.
 */
export function transformRow(t: FittedTransforms, row: Record<string, unknown>, out = new Float32Array(t.width), offset = 0): Float32Array {
  let at = offset;
  const features = t.features;
  for (let k = 0; k < features.length; k++) at += encode(features[k]!, row[features[k]!.name], out, at);
  return out;
}

/** Many rows into one row-major matrix (rows × width), through transformRow. */
export function transformRows(t: FittedTransforms, rows: readonly Record<string, unknown>[]): Float32Array {
  const out = new Float32Array(rows.length * t.width);
  for (let i = 0; i < rows.length; i++) transformRow(t, rows[i]!, out, i * t.width);
  return out;
}
