/**
 * Slicing: the rows of each value of a column, and the task data restricted to them. A model can
 * look fine overall and fail one group; per-slice metrics are computed by the same functions on
 * the subset, so a slice's numbers are exactly what evaluating that subset alone would give.
 */
import type { InputValue } from './regression';
import type { TaskData } from './metrics';

export interface SliceRows {
  /** The slice value as text; null for rows missing the value. */
  value: string | null;
  rows: number[];
}

/** Row indices per distinct value, the largest slices first (ties by value). */
export function groupRows(values: ArrayLike<InputValue>): SliceRows[] {
  const groups = new Map<string | null, number[]>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const key = v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v)) ? null : v instanceof Date ? v.toISOString() : String(v);
    let rows = groups.get(key);
    if (!rows) groups.set(key, (rows = []));
    rows.push(i);
  }
  return [...groups.entries()]
    .map(([value, rows]) => ({ value, rows }))
    .sort((a, b) => b.rows.length - a.rows.length || compareKeys(a.value, b.value));
}

function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

const pick = (values: ArrayLike<number>, rows: readonly number[]) => Float64Array.from(rows, (i) => values[i]!);

/** The task data of the given rows only. */
export function subsetData(data: TaskData, rows: readonly number[]): TaskData {
  const weights = data.weights ? pick(data.weights, rows) : undefined;
  const labels = pick(data.labels, rows);
  switch (data.task) {
    case 'regression':
      return { task: 'regression', labels, predictions: pick(data.predictions, rows), weights };
    case 'binary':
      return { task: 'binary', labels, scores: pick(data.scores, rows), weights };
    case 'multiclass':
      return { task: 'multiclass', labels, probabilities: rows.map((i) => data.probabilities[i]!), weights };
  }
}
