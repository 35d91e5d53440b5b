/**
 * The training data as typed columns (no row objects): the dataset's files into DuckDB, then the
 * label, every feature and the columns the split, weighting, slices and card need, each read as
 * the kind its use takes (numbers, category codes, instants). What run.ts trains on.
 */
import type { ColumnRead, DuckSession, TypedColumn } from '../data/duckdb';
import { readColumns, sqlIdent } from '../data/duckdb';
import { badInput } from '../errors';
import { COERCIONS, readFor } from '../features/applyColumns';
import type { ModelConfig, ProjectConfig } from '../project/config';
import { createTrainingTable, TRAINING_TABLE, type TrainingData } from './data';

export interface TrainingColumns {
  rows: number;
  files: TrainingData['files'];
  table: string;
  /** The label's values as JS values (labels are encoded by encodeLabelValues). */
  label: unknown[];
  /** One column per feature, in m.features order. */
  features: TypedColumn[];
  /** Other columns by name: split, weighting and time columns (dates or categories), slices (JS values). */
  extra: Map<string, TypedColumn>;
}

export async function loadTrainingColumns(
  session: DuckSession,
  project: ProjectConfig,
  m: ModelConfig,
  opts: { signal?: AbortSignal; extra?: { name: string; read: ColumnRead }[]; onRows?: (rows: number) => void; /** TRAINING_TABLE already made by createTrainingTable: what it returned. */ created?: TrainingData['files'] } = {},
): Promise<TrainingColumns> {
  const { signal } = opts;
  const files = opts.created ?? (await createTrainingTable(session, project, m, signal));
  const have = new Set((await session.rows(`DESCRIBE SELECT * FROM ${TRAINING_TABLE}`, { signal })).map((r) => String(r['column_name'])));
  const needed = [m.label, ...m.features.map((f) => f.name)];
  const missing = needed.filter((c) => !have.has(c));
  if (missing.length > 0) throw badInput(project.file, `models.${m.name}: the ${m.dataset.name} data has no column ${missing.map((c) => `"${c}"`).join(', ')}`);
  const extra = (opts.extra ?? []).filter((e) => have.has(e.name));
  const reads: ColumnRead[] = ['js', ...m.features.map((f) => readFor(f.transform)), ...extra.map((e) => e.read)];
  const select = [m.label, ...m.features.map((f) => f.name), ...extra.map((e) => e.name)].map(sqlIdent).join(', ');
  const out = await readColumns(session, `SELECT ${select} FROM ${TRAINING_TABLE} ORDER BY __row`, reads, COERCIONS, { signal, onChunk: opts.onRows });
  const label = out.columns[0]!;
  return {
    rows: out.rows,
    files,
    table: TRAINING_TABLE,
    label: label.kind === 'js' ? label.values : [],
    features: out.columns.slice(1, 1 + m.features.length),
    extra: new Map(extra.map((e, k) => [e.name, out.columns[1 + m.features.length + k]!])),
  };
}

/** The JS value of row i of a column (for slices and residual inputs). */
export function valueAt(col: TypedColumn, i: number): string | number | boolean | null {
  switch (col.kind) {
    case 'number':
      return Number.isNaN(col.values[i]!) ? null : col.values[i]!;
    case 'date':
      return Number.isNaN(col.ms[i]!) ? null : col.ms[i]!;
    case 'category':
      return col.codes[i]! < 0 ? null : col.dictionary[col.codes[i]!]!;
    case 'js':
      return col.values[i] as string | number | boolean | null;
  }
}
