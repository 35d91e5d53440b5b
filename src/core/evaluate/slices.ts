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
  rows: Int32Array;
}

/**
 * Row indices per distinct value, the largest slices first (ties by value). The indices are
 * Int32Arrays filled after a count (a group number per row first): 8 bytes a row at most, where
 * growing number[] lists held 8 to 16 (a 20M-row evaluation of a streamed training).
 */
export function groupRows(values: ArrayLike<InputValue>): SliceRows[] {
  const index = new Map<string | null, number>();
  const counts: number[] = [];
  const groupOf = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const key = v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v)) ? null : v instanceof Date ? v.toISOString() : String(v);
    let g = index.get(key);
    if (g === undefined) {
      index.set(key, (g = counts.length));
      counts.push(0);
    }
    groupOf[i] = g;
    counts[g]!++;
  }
  const groups = [...index.keys()].map((value, g) => ({ value, rows: new Int32Array(counts[g]!) }));
  const filled = new Int32Array(groups.length);
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i]!;
    groups[g]!.rows[filled[g]!++] = i;
  }
  return groups.sort((a, b) => b.rows.length - a.rows.length || compareKeys(a.value, b.value));
}

function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** The values of `rows`; float32 stays float32 (exact, and half the bytes of a float64 copy). */
function pick(values: ArrayLike<number>, rows: ArrayLike<number>): Float32Array | Float64Array {
  const out = values instanceof Float32Array ? new Float32Array(rows.length) : new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]!]!;
  return out;
}

/** The task data of the given rows only. */
export function subsetData(data: TaskData, rows: ArrayLike<number>): TaskData {
  const weights = data.weights ? pick(data.weights, rows) : undefined;
  const labels = pick(data.labels, rows);
  switch (data.task) {
    case 'regression':
      return { task: 'regression', labels, predictions: pick(data.predictions, rows), weights };
    case 'binary':
      return { task: 'binary', labels, scores: pick(data.scores, rows), weights };
    case 'multiclass':
      return { task: 'multiclass', labels, probabilities: Array.from(rows, (i) => data.probabilities[i]!), weights };
  }
}
