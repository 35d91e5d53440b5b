/**
 * The row path the checks and comparisons used before they read columns: every row of the
 * dataset as an object, labels encoded from them, split over the kept rows. Kept as the
 * reference the columnar split (loadTrainedOn) must reproduce, row for row.
 */
import type { DuckSession, Row } from '../../src/core/data/duckdb';
import type { ModelConfig, ProjectConfig } from '../../src/core/project/config';
import { encodeLabels, loadTrainingData } from '../../src/core/train/data';
import { splitRows } from '../../src/core/train/split';

export interface RowSplit {
  /** Every row of the dataset, in file order. */
  rows: Row[];
  /** Encoded labels of every row (NaN where unusable). */
  y: Float32Array;
  /** Indices into `rows`. */
  train: number[];
  eval: number[];
}

export async function loadSplit(session: DuckSession, project: ProjectConfig, m: ModelConfig): Promise<RowSplit> {
  const data = await loadTrainingData(session, project, m);
  const labels = encodeLabels(data.rows, m.label, m.task);
  const kept = data.rows.map((_, i) => i).filter((i) => Number.isFinite(labels.y[i]!));
  const split = splitRows(
    kept.map((i) => data.rows[i]!),
    m.split,
    m.training.seed ?? 42,
  );
  return { rows: data.rows, y: labels.y, train: split.train.map((k) => kept[k]!), eval: split.eval.map((k) => kept[k]!) };
}
