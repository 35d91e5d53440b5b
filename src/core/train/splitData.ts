/**
 * A model's data split exactly as its training run split it (train/run.ts): the same files, the
 * same rows dropped for lack of a label, the same split and seed. The checks measure on these
 * rows so that "held out" means what it meant when the version was trained.
 */
import type { DuckSession, Row } from '../data/duckdb';
import type { ModelConfig, ProjectConfig } from '../project/config';
import type { ModelVersion } from '../registry/types';
import { encodeLabels, loadTrainingData, type TrainingData } from './data';
import { splitRows, type SplitSpec } from './split';

export interface SplitData {
  /** Every row of the dataset, in file order (as loadTrainingData reads them). */
  rows: Row[];
  files: TrainingData['files'];
  /** The DuckDB table holding `rows` with their index as __row. */
  table: string;
  /** Encoded labels of every row (NaN where unusable). */
  y: Float32Array;
  classes?: string[];
  /** Indices into `rows`. */
  train: number[];
  eval: number[];
  seed: number;
}

export async function loadSplit(session: DuckSession, project: ProjectConfig, m: ModelConfig, signal?: AbortSignal): Promise<SplitData> {
  const data = await loadTrainingData(session, project, m, signal);
  const labels = encodeLabels(data.rows, m.label, m.task);
  const kept = data.rows.map((_, i) => i).filter((i) => Number.isFinite(labels.y[i]!));
  const seed = m.training.seed ?? 42;
  const split = splitRows(
    kept.map((i) => data.rows[i]!),
    m.split,
    seed,
  );
  return {
    rows: data.rows,
    files: data.files,
    table: data.table,
    y: labels.y,
    ...(labels.classes ? { classes: labels.classes } : {}),
    train: split.train.map((k) => kept[k]!),
    eval: split.eval.map((k) => kept[k]!),
    seed,
  };
}

/** Where row `index` of the dataset sits: its file and (for text formats with a header) its 1-based line. */
export function rowLocation(files: SplitData['files'], index: number): { file: string; line?: number } {
  let start = 0;
  for (const f of files) {
    if (index < start + f.rows) {
      const text = /\.(csv|tsv|txt)(\.gz)?$/i.test(f.path);
      const jsonl = /\.(jsonl|ndjson)$/i.test(f.path);
      const at = index - start;
      return { file: f.path, ...(text ? { line: at + 2 } : jsonl ? { line: at + 1 } : {}) };
    }
    start += f.rows;
  }
  return { file: files[files.length - 1]?.path ?? '' };
}

/** Why a version's own held-out rows may differ from the split reproduced now (as heldOutSource says). */
export function splitNotes(m: ModelConfig, data: Pick<SplitData, 'files' | 'seed'>, version: ModelVersion): string[] {
  const params = version.card.params as { split?: SplitSpec; training?: { seed?: number } };
  const now = data.files.map((f) => `${f.path} ${f.content_hash}`).sort().join('\n');
  const then = version.card.training_data.datasets.map((f) => `${f.path} ${f.content_hash}`).sort().join('\n');
  if (JSON.stringify(params.split ?? null) !== JSON.stringify(m.split) || (params.training?.seed ?? 42) !== data.seed) {
    return [`${version.model}:${version.version} was trained with another split or seed: some of these held-out rows may have been in its training data`];
  }
  if (now !== then) return [`${version.model}:${version.version} was trained on other files (or other contents) than the dataset has now`];
  return [];
}
