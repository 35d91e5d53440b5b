/**
 * Where a row of a model's data split sits, and why a version's own split may differ from the
 * one reproduced now (loadTrainedOn reproduces it: the same files, the same rows dropped for lack
 * of a label, the same split and seed).
 */
import type { ModelConfig } from '../project/config';
import type { ModelVersion } from '../registry/types';
import type { TrainingData } from './data';
import type { SplitSpec } from './split';

/** Where row `index` of the dataset sits: its file and (for text formats with a header) its 1-based line. */
export function rowLocation(files: TrainingData['files'], index: number): { file: string; line?: number } {
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
export function splitNotes(m: ModelConfig, data: { files: TrainingData['files']; seed: number }, version: ModelVersion): string[] {
  const params = version.card.params as { split?: SplitSpec; training?: { seed?: number } };
  const now = data.files.map((f) => `${f.path} ${f.content_hash}`).sort().join('\n');
  const then = version.card.training_data.datasets.map((f) => `${f.path} ${f.content_hash}`).sort().join('\n');
  if (JSON.stringify(params.split ?? null) !== JSON.stringify(m.split) || (params.training?.seed ?? 42) !== data.seed) {
    return [`${version.model}:${version.version} was trained with another split or seed: some of these held-out rows may have been in its training data`];
  }
  if (now !== then) return [`${version.model}:${version.version} was trained on other files (or other contents) than the dataset has now`];
  return [];
}
