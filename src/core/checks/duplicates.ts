/**
 * Rows on both sides of the split: held-out rows whose feature values and label equal a training
 * row's. A model can memorise those, so its held-out score overstates how it does on new data.
 * Counted exactly (classes of equal rows, RowClasses); "whole record" duplicates also agree on every
 * other column of the data (ids, dates), which tells a copied record from a coincidence of a
 * coarse feature space (a 39-week girl of a 28-year-old, 7.85 lb, happens twice by chance).
 */
import type { ColumnarSplit } from '../train/columnarSplit';
import { rowLocation } from '../train/splitData';
import type { RawColumn } from './datasetColumns';
import { mixHashes, RowClasses } from './rowClasses';
import type { DuplicateExample, DuplicateReport } from './types';

const MAX_EXAMPLES = 5;
const MAX_LOCATIONS = 3;

/** Rows in classes of equal values over some columns. */
function classesOver(columns: readonly RawColumn[]): RowClasses {
  return new RowClasses(
    (i) => mixHashes(columns.length, (c) => columns[c]!.hash(i)),
    (a, b) => columns.every((c) => c.same(a, b)),
  );
}

/** `raw` holds every column of the dataset, in table order. */
export function findDuplicates(data: Pick<ColumnarSplit, 'files' | 'train' | 'eval'>, raw: ReadonlyMap<string, RawColumn>, features: readonly string[], label: string): DuplicateReport {
  const columns = [...features, label];
  const all = [...raw.keys()];
  const other = all.filter((c) => !columns.includes(c));
  // Classes of equal features and label, made from the training rows alone: a held-out row either
  // joins one (it has a twin in training) or has none.
  const keyed = classesOver(columns.map((c) => raw.get(c)!));
  // Per class: its training rows, and the first MAX_LOCATIONS of them (flat, -1 where fewer).
  const trainCount: number[] = [];
  const trainFirst: number[] = [];
  for (const i of data.train) {
    const k = keyed.classOf(i);
    if (k === trainCount.length) {
      trainCount.push(1);
      trainFirst.push(i, ...Array<number>(MAX_LOCATIONS - 1).fill(-1));
    } else {
      if (trainCount[k]! < MAX_LOCATIONS) trainFirst[k * MAX_LOCATIONS + trainCount[k]!] = i;
      trainCount[k]!++;
    }
  }
  let trainWhole: RowClasses | undefined;
  if (other.length > 0) {
    trainWhole = classesOver(all.map((c) => raw.get(c)!));
    for (const i of data.train) trainWhole.classOf(i);
  }
  const evalByKey = new Map<number, number[]>();
  let wholeRows = 0;
  for (const i of data.eval) {
    const k = keyed.classOf(i, false);
    if (k < 0) continue;
    const list = evalByKey.get(k);
    if (list) list.push(i);
    else evalByKey.set(k, [i]);
    if (!trainWhole || trainWhole.classOf(i, false) >= 0) wholeRows++;
  }
  let evalRows = 0;
  let trainRows = 0;
  for (const [k, rows] of evalByKey) {
    evalRows += rows.length;
    trainRows += trainCount[k]!;
  }
  // Examples: the combinations repeated most across the split first (then by first held-out row).
  const ranked = [...evalByKey].sort((a, b) => b[1].length + trainCount[b[0]]! - (a[1].length + trainCount[a[0]]!) || a[1][0]! - b[1][0]!);
  const examples: DuplicateExample[] = ranked.slice(0, MAX_EXAMPLES).map(([k, evalIdx]) => {
    const first = evalIdx[0]!;
    return {
      values: Object.fromEntries(columns.map((c) => [c, jsonValue(raw.get(c)!.value(first))])),
      train: trainFirst
        .slice(k * MAX_LOCATIONS, (k + 1) * MAX_LOCATIONS)
        .filter((i) => i >= 0)
        .map((i) => rowLocation(data.files, i)),
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
