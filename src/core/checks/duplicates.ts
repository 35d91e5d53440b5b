/**
 * Rows on both sides of the split: held-out rows whose feature values and label equal a training
 * row's. A model can memorise those, so its held-out score overstates how it does on new data.
 * Counted exactly (hash sets of canonical row keys); "whole record" duplicates also agree on every
 * other column of the data (ids, dates), which tells a copied record from a coincidence of a
 * coarse feature space (a 39-week girl of a 28-year-old, 7.85 lb, happens twice by chance).
 */
import type { Row } from '../data/duckdb';
import { rowLocation, type SplitData } from '../train/splitData';
import type { DuplicateExample, DuplicateReport } from './types';

const MAX_EXAMPLES = 5;
const MAX_LOCATIONS = 3;

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

function keyOf(row: Row, columns: readonly string[]): string {
  return columns.map((c) => canonical(row[c])).join('\u0001');
}

export function findDuplicates(data: Pick<SplitData, 'rows' | 'files' | 'train' | 'eval'>, features: readonly string[], label: string): DuplicateReport {
  const columns = [...features, label];
  const all = Object.keys(data.rows[0] ?? {});
  const other = all.filter((c) => !columns.includes(c));
  const trainByKey = new Map<string, number[]>();
  for (const i of data.train) {
    const k = keyOf(data.rows[i]!, columns);
    const list = trainByKey.get(k);
    if (list) list.push(i);
    else trainByKey.set(k, [i]);
  }
  const trainWhole = other.length > 0 ? new Set(data.train.map((i) => keyOf(data.rows[i]!, all))) : undefined;
  const evalByKey = new Map<string, number[]>();
  let whole = 0;
  for (const i of data.eval) {
    const k = keyOf(data.rows[i]!, columns);
    if (!trainByKey.has(k)) continue;
    const list = evalByKey.get(k);
    if (list) list.push(i);
    else evalByKey.set(k, [i]);
    if (!trainWhole || trainWhole.has(keyOf(data.rows[i]!, all))) whole++;
  }
  let evalRows = 0;
  let trainRows = 0;
  for (const [k, rows] of evalByKey) {
    evalRows += rows.length;
    trainRows += trainByKey.get(k)!.length;
  }
  // Examples: the combinations repeated most across the split first (then by first held-out row).
  const ranked = [...evalByKey].sort((a, b) => b[1].length + trainByKey.get(b[0])!.length - (a[1].length + trainByKey.get(a[0])!.length) || a[1][0]! - b[1][0]!);
  const examples: DuplicateExample[] = ranked.slice(0, MAX_EXAMPLES).map(([k, evalIdx]) => {
    const first = data.rows[evalIdx[0]!]!;
    return {
      values: Object.fromEntries(columns.map((c) => [c, jsonValue(first[c])])),
      train: trainByKey.get(k)!.slice(0, MAX_LOCATIONS).map((i) => rowLocation(data.files, i)),
      eval: evalIdx.slice(0, MAX_LOCATIONS).map((i) => rowLocation(data.files, i)),
    };
  });
  return { eval_rows: evalRows, train_rows: trainRows, distinct: evalByKey.size, whole_record_eval_rows: whole, other_columns: other, examples };
}

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v ?? null;
}
