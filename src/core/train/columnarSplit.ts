/**
 * A model's training data, columnar, split as the row path splits it (splitRows, split.ts): rows
 * without a usable label left out, then the split over the kept rows with the same seed.
 */
import type { DuckSession, TypedColumn } from '../data/duckdb';
import { pickRows, transformColumns } from '../features/applyColumns';
import type { FittedTransforms } from '../features/spec';
import type { ModelConfig, ProjectConfig } from '../project/config';
import { loadTrainingColumns, type TrainingColumns } from './columns';
import { encodeLabelValues } from './data';
import { splitBy } from './split';

export interface ColumnarSplit extends TrainingColumns {
  labels: { y: Float32Array; classes?: string[] };
  /** Row indices into the columns. */
  train: number[];
  eval: number[];
  seed: number;
}

export async function loadTrainedOn(session: DuckSession, project: ProjectConfig, m: ModelConfig, signal?: AbortSignal, created?: TrainingColumns['files']): Promise<ColumnarSplit> {
  const extra: { name: string; read: 'date' | 'category' | 'js' }[] = [];
  if (m.split.kind === 'time') extra.push({ name: m.split.column, read: 'date' });
  if (m.split.kind === 'group') extra.push({ name: m.split.column, read: 'category' });
  if (m.weighting) extra.push({ name: m.weighting.column, read: 'date' });
  if (m.dataset.time_column) extra.push({ name: m.dataset.time_column, read: 'date' });
  for (const s of m.validation.slices ?? []) extra.push({ name: s, read: 'js' });
  // One read per column name (a slice may also be the time column): the first kind asked wins.
  const seen = new Set<string>();
  const unique = extra.filter((e) => !seen.has(e.name) && seen.add(e.name));
  const data = await loadTrainingColumns(session, project, m, { signal, extra: unique, created });
  const labels = encodeLabelValues(data.label, m.task);
  const kept: number[] = [];
  for (let i = 0; i < data.rows; i++) if (Number.isFinite(labels.y[i]!)) kept.push(i);
  const seed = m.training.seed ?? 42;
  const col = m.split.kind === 'random' ? undefined : data.extra.get(m.split.column);
  if (m.split.kind !== 'random' && !col) throw new Error(`split column "${m.split.column}" is not in the data`);
  const valueAt = (k: number): string | number | null => {
    const i = kept[k]!;
    if (!col) return null;
    if (col.kind === 'category') return col.codes[i]! < 0 ? '' : col.dictionary[col.codes[i]!]!;
    if (col.kind === 'date') return col.ms[i]!;
    return null;
  };
  const split = splitBy(kept.length, m.split, seed, valueAt);
  return { ...data, labels, train: split.train.map((k) => kept[k]!), eval: split.eval.map((k) => kept[k]!), seed };
}

/** The design matrix (rows idx × t.width, row-major float32) from the feature columns. */
export function designMatrix(t: FittedTransforms, features: readonly TypedColumn[], idx: readonly number[]): Float32Array {
  const picked = features.map((c) => pickRows(c, idx));
  return transformColumns(t, picked, 0, idx.length);
}

/** A date column's values at idx (NaN where missing or no column). */
export function timesOf(col: TypedColumn | undefined, idx: readonly number[]): Float64Array {
  const out = new Float64Array(idx.length).fill(Number.NaN);
  if (col?.kind === 'date') for (let k = 0; k < idx.length; k++) out[k] = col.ms[idx[k]!]!;
  return out;
}

export function timeRangeOf(times: Float64Array | undefined): { min: string; max: string } | undefined {
  if (!times) return undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const t of times) {
    if (t !== t) continue;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return Number.isFinite(min) ? { min: new Date(min).toISOString(), max: new Date(max).toISOString() } : undefined;
}

/**
 * A SQL relation of the training split's rows, for fitting the transforms in SQL. The indices go
 * in through DuckDB's appender (one INSERT of 5,000 literals at a time took seconds at 1M rows).
 */
export async function trainSplitRelation(session: DuckSession, table: string, trainIdx: readonly number[]): Promise<string> {
  await session.run(`CREATE OR REPLACE TEMP TABLE prodml_train_split (__row INTEGER)`);
  const appender = await session.appender('prodml_train_split');
  for (const i of trainIdx) {
    appender.appendInteger(i);
    appender.endRow();
  }
  appender.closeSync();
  return `(SELECT t.* FROM ${table} t SEMI JOIN prodml_train_split s ON t.__row = s.__row)`;
}
