/**
 * The batch checks of instanceCheck.ts done column by column on a DuckDB chunk, where a column's
 * DuckDB type settles every rule but per-value ones: a numeric column for a numeric input (each
 * value: null where the input must be present, NaN or infinite, a fraction for an int), a
 * VARCHAR column for a categorical input (null where it must be present). The values come out
 * as the typed columns Scorer.scoreColumns takes, read as readColumns reads them, so a chunk
 * scores to the same bits as its rows through Scorer.score (test/unit/batchPredict.test.ts).
 * Anything else (other types, schema fields that must be present but the model does not read)
 * has no plan: the caller checks rows. A chunk with a problem returns undefined: the caller
 * checks its rows to name the first problem exactly as the row check does.
 */
import { chunkTypedColumn, PLAIN_NUMBER_TYPES, type TypedColumn } from '../data/duckdb';
import type { DuckDBDataChunk } from '@duckdb/node-api';
import { COERCIONS, readFor } from '../features/applyColumns';
import type { FittedTransforms } from '../features/spec';
import type { InstanceChecker } from './instanceCheck';

const VARCHAR = 17;
const FLOAT_TYPES = new Set([10, 11]);
/** BIGINT, UBIGINT: their items are bigints, which the row path turns into numbers. */
const BIG_TYPES = new Set([5, 9]);

interface ColumnRule {
  name: string;
  /** The column's index in the chunk. */
  at: number;
  read: 'number' | 'category';
  nonNull: boolean;
  /** An int input read from a FLOAT or DOUBLE column: every value must be whole. */
  whole: boolean;
  domain?: ReadonlySet<string>;
}

export interface ColumnPlan {
  rules: ColumnRule[];
}

/** A plan for the model's inputs (in transforms order) over a stream's columns, or undefined when some rule needs the row check. */
export function columnPlan(check: InstanceChecker, transforms: FittedTransforms, names: readonly string[], typeIds: readonly number[]): ColumnPlan | undefined {
  if (check.fields.some((r) => !r.input && (r.required || r.nonNull))) return undefined;
  const rules: ColumnRule[] = [];
  for (const f of transforms.features) {
    const r = check.fields.find((x) => x.name === f.name);
    const at = names.indexOf(f.name);
    if (!r || at < 0 || r.list) return undefined;
    const typeId = typeIds[at]!;
    const read = readFor(f);
    if (read === 'number' && (PLAIN_NUMBER_TYPES.has(typeId) || BIG_TYPES.has(typeId)) && (r.kind === 'number' || r.kind === 'float' || r.kind === 'int')) {
      rules.push({ name: f.name, at, read, nonNull: r.nonNull, whole: r.kind === 'int' && FLOAT_TYPES.has(typeId) });
    } else if (read === 'category' && typeId === VARCHAR && (r.kind === 'category' || r.kind === 'string')) {
      rules.push({ name: f.name, at, read, nonNull: r.nonNull, whole: false, domain: r.domain?.values });
    } else return undefined;
  }
  return { rules };
}

/**
 * A chunk's inputs as typed columns when every value passes, with the rows outside each
 * categorical input's domain counted into `outOfDomain`; undefined when some value fails.
 */
export function checkedColumns(chunk: DuckDBDataChunk, plan: ColumnPlan, outOfDomain: Record<string, number>): TypedColumn[] | undefined {
  const n = chunk.rowCount;
  const columns: TypedColumn[] = [];
  const counts: [string, number][] = [];
  for (const r of plan.rules) {
    if (r.read === 'number') {
      const vec = chunk.getColumnVector(r.at);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = vec.getItem(i);
        if (typeof v === 'number') {
          if (!Number.isFinite(v) || (r.whole && !Number.isInteger(v))) return undefined;
          out[i] = v;
        } else if (typeof v === 'bigint') out[i] = Number(v);
        else if (v === null && !r.nonNull) out[i] = Number.NaN;
        else return undefined;
      }
      columns.push({ kind: 'number', values: out });
    } else {
      if (r.nonNull) {
        const vec = chunk.getColumnVector(r.at);
        for (let i = 0; i < n; i++) if (vec.getItem(i) === null) return undefined;
      }
      const col = chunkTypedColumn(chunk, r.at, VARCHAR, 'category', COERCIONS);
      if (col.kind !== 'category') return undefined;
      if (r.domain) {
        const outside = col.dictionary.map((c) => !r.domain!.has(c));
        let count = 0;
        for (let i = 0; i < n; i++) if (col.codes[i]! >= 0 && outside[col.codes[i]!]) count++;
        if (count > 0) counts.push([r.name, count]);
      }
      columns.push(col);
    }
  }
  for (const [name, count] of counts) outOfDomain[name] = (outOfDomain[name] ?? 0) + count;
  return columns;
}
