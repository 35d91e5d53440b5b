/**
 * Safeness before blessing, for every version (trained or imported): score edge inputs derived
 * from the data the version was checked on (per input column: its min and max, 10x the range
 * beyond both, zero, a missing value; for text: an unseen category and an empty string), one
 * column changed at a time from an ordinary row. A non-finite output or a scoring error on any of
 * them means not blessed, and the card keeps the input that broke it.
 */
import type { Row } from '../data/duckdb';
import { toNumber } from '../features/apply';

export interface EdgeInput {
  column: string;
  value: unknown;
  /** How the reason names it: "-4.2", "missing", "an empty string", ... */
  shown: string;
}

export interface SafenessResult {
  passed: boolean;
  /** Edge inputs scored. */
  tried: number;
  /** The first input that broke it, when one did. */
  failure?: EdgeInput & { problem: string };
  /** One sentence: what was tried, or what broke and on which input. */
  reason: string;
}

export const UNSEEN_CATEGORY = '__prodml_unseen__';

/** The edge inputs of `columns`, from their values in `rows`. */
export function edgeInputs(rows: readonly Row[], columns: readonly string[]): EdgeInput[] {
  const edges: EdgeInput[] = [];
  for (const column of columns) {
    const values = rows.map((r) => r[column]).filter((v) => v !== null && v !== undefined);
    const textual = values.length > 0 && values.every((v) => typeof v === 'string' && toNumber(v) === null);
    edges.push({ column, value: null, shown: 'missing' });
    if (textual) {
      edges.push({ column, value: UNSEEN_CATEGORY, shown: `an unseen category ('${UNSEEN_CATEGORY}')` });
      edges.push({ column, value: '', shown: 'an empty string' });
      continue;
    }
    const nums = values.map(toNumber).filter((v): v is number => v !== null);
    if (nums.length === 0) continue;
    let min = Infinity;
    let max = -Infinity;
    for (const v of nums) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max - min || Math.abs(max) || 1;
    for (const v of [min, max, min - 10 * range, max + 10 * range, 0]) edges.push({ column, value: v, shown: show(v) });
  }
  return edges;
}

/**
 * Scores each edge input through `score` (rows → row-major outputs, `perRow` per row). The base
 * row is the first row of `rows`; a batch that throws is retried row by row to name the culprit.
 */
export function checkSafeness(score: (rows: Record<string, unknown>[]) => ArrayLike<number>, perRow: number, rows: readonly Row[], columns: readonly string[]): SafenessResult {
  const base = rows[0] ?? {};
  const edges = edgeInputs(rows, columns);
  const probe = edges.map((e) => ({ ...base, [e.column]: e.value }));
  const fail = (e: EdgeInput, problem: string): SafenessResult => ({
    passed: false,
    tried: edges.length,
    failure: { ...e, problem },
    reason: `${problem} for ${e.column} = ${e.shown}`,
  });
  let out: ArrayLike<number> | undefined;
  try {
    out = score(probe);
  } catch {
    // Find which input breaks it.
  }
  for (let i = 0; i < edges.length; i++) {
    let row: ArrayLike<number>;
    if (out) row = Array.prototype.slice.call(out, i * perRow, (i + 1) * perRow) as number[];
    else {
      try {
        row = score([probe[i]!]);
      } catch (e) {
        return fail(edges[i]!, `scoring error (${String((e as Error).message ?? e).split('\n')[0]})`);
      }
    }
    for (let j = 0; j < row.length; j++) {
      const v = row[j]!;
      if (!Number.isFinite(v)) return fail(edges[i]!, `non-finite output (${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'})`);
    }
  }
  const cols = new Set(edges.map((e) => e.column)).size;
  return { passed: true, tried: edges.length, reason: `finite outputs on ${edges.length} edge inputs of ${cols} column${cols === 1 ? '' : 's'} (min, max, 10x beyond the range, zero, missing, unseen and empty text)` };
}

function show(v: number): string {
  return String(Number(v.toPrecision(6)));
}
