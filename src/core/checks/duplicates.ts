/**
 * Rows on both sides of the split: held-out rows whose feature values and label equal a training
 * row's. A model can memorise those, so its held-out score overstates how it does on new data.
 * Counted exactly (hash sets of canonical row keys); "whole record" duplicates also agree on every
 * other column of the data (ids, dates), which tells a copied record from a coincidence of a
 * coarse feature space (a 39-week girl of a 28-year-old, 7.85 lb, happens twice by chance).
 */
import type { ColumnarSplit } from '../train/columnarSplit';
import { rowLocation } from '../train/splitData';
import type { RawColumn } from './datasetColumns';
import type { DuplicateExample, DuplicateReport } from './types';

const MAX_EXAMPLES = 5;
const MAX_LOCATIONS = 3;

/** A row's key over some columns: equal exactly when every value is (RawColumn.token). */
function keyOf(columns: readonly RawColumn[], i: number): string {
  return columns.map((c) => c.token(i)).join('\u0001');
}

/** `raw` holds every column of the dataset, in table order. */
export function findDuplicates(data: Pick<ColumnarSplit, 'files' | 'train' | 'eval'>, raw: ReadonlyMap<string, RawColumn>, features: readonly string[], label: string): DuplicateReport {
  const columns = [...features, label];
  const all = [...raw.keys()];
  const other = all.filter((c) => !columns.includes(c));
  const keyed = columns.map((c) => raw.get(c)!);
  const whole = all.map((c) => raw.get(c)!);
  const trainByKey = new Map<string, number[]>();
  for (const i of data.train) {
    const k = keyOf(keyed, i);
    const list = trainByKey.get(k);
    if (list) list.push(i);
    else trainByKey.set(k, [i]);
  }
  const trainWhole = other.length > 0 ? new Set(data.train.map((i) => keyOf(whole, i))) : undefined;
  const evalByKey = new Map<string, number[]>();
  let wholeRows = 0;
  for (const i of data.eval) {
    const k = keyOf(keyed, i);
    if (!trainByKey.has(k)) continue;
    const list = evalByKey.get(k);
    if (list) list.push(i);
    else evalByKey.set(k, [i]);
    if (!trainWhole || trainWhole.has(keyOf(whole, i))) wholeRows++;
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
    const first = evalIdx[0]!;
    return {
      values: Object.fromEntries(columns.map((c) => [c, jsonValue(raw.get(c)!.value(first))])),
      train: trainByKey.get(k)!.slice(0, MAX_LOCATIONS).map((i) => rowLocation(data.files, i)),
      eval: evalIdx.slice(0, MAX_LOCATIONS).map((i) => rowLocation(data.files, i)),
    };
  });
  return { eval_rows: evalRows, train_rows: trainRows, distinct: evalByKey.size, whole_record_eval_rows: wholeRows, other_columns: other, examples };
}

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v ?? null;
}
