/**
 * Evaluates a registered version on any data with its own saved transforms: `prodml evaluate`.
 * The same encoding, prediction and metrics as training, so the numbers are comparable.
 */
import fs from 'node:fs/promises';
import type { DuckSession } from '../data/duckdb';
import type { DataSource } from '../data/source';
import { badInput } from '../errors';
import type { FittedTransforms } from '../features/spec';
import type { ModelVersion } from '../registry/types';
import { encodeLabels } from '../train/data';
import type { Task } from '../train/model';
import { loadScorer } from '../serve/scorer';
import { evaluatePredictions, type EvaluationReport } from './evaluation';
import { taskDataOf } from './metrics';

export async function evaluateVersion(session: DuckSession, version: ModelVersion, data: DataSource, opts: { slices?: string[]; signal?: AbortSignal } = {}): Promise<EvaluationReport & { rows: number }> {
  const card = version.card;
  const task = card.task as Task | undefined;
  if (!task || !card.label) throw badInput(version.dir, 'card.json names no task or label; this version cannot be evaluated');
  const rows = await session.rows(`SELECT * FROM ${data.scan}`, { signal: opts.signal });
  if (rows.length === 0) throw badInput(data.display, 'has no rows');
  if (!(card.label in rows[0]!)) throw badInput(data.display, `has no label column "${card.label}" to evaluate ${card.model}:${card.version} against`);
  const transforms = JSON.parse(await fs.readFile(version.files['transform.json'], 'utf8')) as FittedTransforms;
  // A missing feature column would be imputed on every row and score a model that never saw it.
  const absent = transforms.features.map((f) => f.name).filter((n) => !(n in rows[0]!));
  if (absent.length > 0) throw badInput(data.display, `has no column ${absent.map((n) => `"${n}"`).join(', ')}, which ${card.model}:${card.version} takes as input`);
  const classes = (card.params['classes'] as string[] | undefined) ?? undefined;
  const labels = encodeLabels(rows, card.label, task);
  // Multiclass labels must keep the class indices the model was trained with.
  const y = task === 'multiclass' && classes ? Float32Array.from(rows, (r) => classes.indexOf(String(r[card.label!]))) : labels.y;
  const keep = rows.map((_, i) => i).filter((i) => Number.isFinite(y[i]!) && y[i]! >= 0);
  const kept = keep.map((i) => rows[i]!);
  // The Scorer: the same transforms and forward pass as online serving and batch prediction.
  const scorer = await loadScorer(version);
  let out: Float32Array;
  try {
    out = scorer.score(kept);
  } finally {
    scorer.dispose();
  }
  const ky = Float32Array.from(keep, (i) => y[i]!);
  const k = classes?.length ?? 2;
  const taskData = taskDataOf(task, ky, out, k);
  const column = (name: string) => kept.map((r) => r[name] as string | number | boolean | null);
  const report = evaluatePredictions(taskData, { slices: Object.fromEntries((opts.slices ?? []).filter((s) => s in kept[0]!).map((s) => [s, column(s)])) });
  return { ...report, rows: kept.length };
}
