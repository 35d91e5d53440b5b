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

/**
 * What a column's edge inputs need from its values, folded one value at a time, so that a
 * training run can read its rows in chunks instead of holding 200k row objects (about 300 MB).
 */
interface ColumnEdges {
  /** A value that is neither null nor undefined was seen. */
  present: boolean;
  /** Every such value is text that is not a number. */
  textual: boolean;
  numbers: boolean;
  min: number;
  max: number;
}

/** The edge inputs of columns, from their values given row by row (`add`), in row order. */
export class EdgeStats {
  private readonly stats: ColumnEdges[];

  constructor(readonly columns: readonly string[]) {
    this.stats = columns.map(() => ({ present: false, textual: true, numbers: false, min: Infinity, max: -Infinity }));
  }

  /** The value of the `k`-th column in the next row. */
  add(k: number, v: unknown): void {
    if (v === null || v === undefined) return;
    const c = this.stats[k]!;
    c.present = true;
    const n = toNumber(v);
    if (typeof v !== 'string' || n !== null) c.textual = false;
    if (n === null) return;
    c.numbers = true;
    if (n < c.min) c.min = n;
    if (n > c.max) c.max = n;
  }

  edges(): EdgeInput[] {
    const edges: EdgeInput[] = [];
    this.columns.forEach((column, k) => {
      const { present, textual, numbers, min, max } = this.stats[k]!;
      edges.push({ column, value: null, shown: 'missing' });
      if (present && textual) {
        edges.push({ column, value: UNSEEN_CATEGORY, shown: `an unseen category ('${UNSEEN_CATEGORY}')` });
        edges.push({ column, value: '', shown: 'an empty string' });
        return;
      }
      if (!numbers) return;
      const range = max - min || Math.abs(max) || 1;
      for (const v of [min, max, min - 10 * range, max + 10 * range, 0]) edges.push({ column, value: v, shown: show(v) });
    });
    return edges;
  }
}

/** The edge inputs of `columns`, from their values in `rows`. */
export function edgeInputs(rows: readonly Row[], columns: readonly string[]): EdgeInput[] {
  const stats = new EdgeStats(columns);
  for (const r of rows) columns.forEach((c, k) => stats.add(k, r[c]));
  return stats.edges();
}

/**
 * Scores each edge input through `score` (rows → row-major outputs, `perRow` per row). The base
 * row is the first row of `rows`; a batch that throws is retried row by row to name the culprit.
 */
export function checkSafeness(score: (rows: Record<string, unknown>[]) => ArrayLike<number>, perRow: number, rows: readonly Row[], columns: readonly string[]): SafenessResult {
  return checkEdges(score, perRow, rows[0] ?? {}, edgeInputs(rows, columns));
}

/** checkSafeness with the edge inputs already drawn (EdgeStats) and the base row they change. */
export function checkEdges(score: (rows: Record<string, unknown>[]) => ArrayLike<number>, perRow: number, base: Row, edges: EdgeInput[]): SafenessResult {
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
