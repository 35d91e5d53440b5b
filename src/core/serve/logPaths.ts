/**
 * Where the prediction log and the labels live under a workspace (layout in logTypes.ts). Writers
 * and readers both take their paths from here, so a glob always matches what was written.
 */
import path from 'node:path';
import { LABELS_DIR, LOGS_DIR, PREDICTIONS_PREFIX } from './logTypes';
import { statePaths } from '../project/paths';

/** `<root>/.prodml/logs/<model>`. */
export function logsDir(root: string, model: string): string {
  return statePaths(root).modelLogs(model);
}

/** Every prediction file of a model, as a DuckDB glob. */
export function predictionsGlob(root: string, model: string): string {
  return path.join(logsDir(root, model), `${PREDICTIONS_PREFIX}*.jsonl`);
}

export function labelsDir(root: string, model: string): string {
  return path.join(logsDir(root, model), LABELS_DIR);
}

/** Every label file of a model, as a DuckDB glob. */
export function labelsGlob(root: string, model: string): string {
  return path.join(labelsDir(root, model), 'labels-*.jsonl');
}

/** `20250301T120000123Z`: sortable, and safe in a file name on every platform. */
export function compactTime(t: Date): string {
  return t.toISOString().replace(/[-:.]/g, '');
}

/** A new label file: `labels/labels-<time>-<pid>.jsonl`. */
export function labelsFile(root: string, model: string, time = new Date(), pid = process.pid): string {
  return path.join(labelsDir(root, model), `labels-${compactTime(time)}-${pid}.jsonl`);
}

/**
 * The file one batch run logs to: `predictions-YYYY-MM-DD-batch-<time>-<pid>.jsonl`. Its own file
 * (the server appends to its own), written whole and renamed into place, so the glob never sees
 * half a batch.
 */
export function batchPredictionsFile(root: string, model: string, time = new Date(), pid = process.pid): string {
  return path.join(logsDir(root, model), `${PREDICTIONS_PREFIX}${time.toISOString().slice(0, 10)}-batch-${compactTime(time)}-${pid}.jsonl`);
}

/** A temp name beside `file` that no log glob matches (it starts with a dot and ends in .tmp). */
export function tempBeside(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);
}
