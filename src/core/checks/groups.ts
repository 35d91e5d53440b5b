/**
 * Groups on both sides of the split: the course's "split by author". When rows of one author
 * (patient, user, hospital) are in training and evaluation alike, the model can learn the group
 * instead of the task and the held-out score flatters it. A group split never straddles, so any
 * straddling group there is a bug; a random split straddles almost every group that repeats.
 */
import { toCategory } from '../features/apply';
import type { ColumnarSplit } from '../train/columnarSplit';
import type { RawColumn } from './datasetColumns';
import type { GroupReport } from './types';

const MAX_EXAMPLES = 5;
/** Names that usually mean "which entity this row belongs to". */
const GROUP_NAME = /(^|_)(id|key|author|user|customer|client|patient|hospital|account|session|device|household|store|group|owner|member)s?(_|$)/i;

/** `value` reads the column's value at a row index (undefined when the data has no such column). */
export function groupStraddle(data: Pick<ColumnarSplit, 'train' | 'eval'>, column: string, value: (i: number) => unknown, why: GroupReport['why']): GroupReport {
  const counts = new Map<string, { train: number; eval: number }>();
  const add = (idx: readonly number[], side: 'train' | 'eval') => {
    for (const i of idx) {
      const g = toCategory(value(i));
      if (g === null) continue;
      let c = counts.get(g);
      if (!c) counts.set(g, (c = { train: 0, eval: 0 }));
      c[side]++;
    }
  };
  add(data.train, 'train');
  add(data.eval, 'eval');
  const straddling = [...counts].filter(([, c]) => c.train > 0 && c.eval > 0);
  return {
    column,
    why,
    groups: counts.size,
    straddling: straddling.length,
    eval_rows_in_straddling: straddling.reduce((a, [, c]) => a + c.eval, 0),
    examples: straddling
      .sort((a, b) => b[1].eval + b[1].train - (a[1].eval + a[1].train) || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_EXAMPLES)
      .map(([group, c]) => ({ group, ...c })),
  };
}

/**
 * Columns that look like a group: an ID-like name, and values that repeat (fewer distinct values
 * than half the rows) without being a handful of categories (at least 10 distinct). A unique
 * row id repeats nowhere and cannot straddle.
 */
export function likelyGroupColumns(columns: ReadonlyMap<string, RawColumn>, rows: number, exclude: ReadonlySet<string>): string[] {
  const names = [...columns.keys()].filter((c) => !exclude.has(c) && GROUP_NAME.test(c));
  return names.filter((name) => {
    const c = columns.get(name)!;
    const distinct = new Set<string>();
    let present = 0;
    for (let i = 0; i < rows; i++) {
      const g = toCategory(c.value(i));
      if (g === null) continue;
      present++;
      distinct.add(g);
    }
    return distinct.size >= 10 && distinct.size <= present / 2;
  });
}
