/**
 * A version's reference data: the training data named in its card (paths relative to the
 * workspace), each model input summarised once, and the version's own predictions on it (scored
 * through the Scorer, the one scoring path) for prediction drift. Reference windows cut the same
 * data the way production is windowed, so thresholds can be calibrated on them.
 */
import type { DuckSession, Row } from '../data/duckdb';
import { openSource } from '../data/source';
import { isProdmlError } from '../errors';
import type { MonitorWindow } from '../project/config';
import type { ModelVersion } from '../registry/types';
import { loadScorer, type Scorer } from '../serve/scorer';
import type { Task } from '../train/model';
import { featureKind, summarizeBaseline, type FeatureBaseline, type FeatureKind } from './driftStats';
import { sampledWindows, timeWindowOf, toTime } from './windows';

export interface VersionBaseline {
  version: number;
  task: Task;
  label?: string;
  classes?: string[];
  inputs: string[];
  datasets: string[];
  rows: Row[];
  kinds: Map<string, FeatureKind>;
  features: Map<string, FeatureBaseline>;
  /** Predictions on the training data: numbers (regression, binary) or class names (multiclass). */
  predictions: unknown[];
  predictionSummary: FeatureBaseline;
}

/** The name under which the prediction's drift is reported beside the features. */
export const PREDICTION = '(prediction)';

export async function loadVersionBaseline(session: DuckSession, root: string, version: ModelVersion, signal?: AbortSignal): Promise<VersionBaseline> {
  const card = version.card;
  const datasets = card.training_data.datasets.map((d) => d.path);
  if (datasets.length === 0) throw new BaselineUnavailable(`${card.model}:${card.version} names no training data in its card`);
  const scans: string[] = [];
  for (const rel of datasets) {
    try {
      scans.push(`SELECT * FROM ${(await openSource(rel, root)).scan}`);
    } catch (e) {
      if (isProdmlError(e)) throw new BaselineUnavailable(`the training data of ${card.model}:${card.version} cannot be read (${e.message})`);
      throw e;
    }
  }
  const rows = await session.rows(scans.join(' UNION ALL BY NAME '), { signal });
  const scorer = await loadScorer(version);
  try {
    const kinds = new Map<string, FeatureKind>();
    const features = new Map<string, FeatureBaseline>();
    for (const name of scorer.inputs) {
      const values = rows.map((r) => r[name]);
      const kind = featureKind(values);
      kinds.set(name, kind);
      features.set(name, summarizeBaseline(name, values, kind));
    }
    const predictions = predictionValues(scorer, scorer.score(rows));
    return {
      version: version.version,
      task: scorer.task,
      ...(card.label ? { label: card.label } : {}),
      ...(scorer.classes ? { classes: scorer.classes } : {}),
      inputs: scorer.inputs,
      datasets,
      rows,
      kinds,
      features,
      predictions,
      predictionSummary: summarizeBaseline(PREDICTION, predictions, scorer.task === 'multiclass' ? 'categorical' : 'numeric'),
    };
  } finally {
    scorer.dispose();
  }
}

/** Regression values and binary scores as numbers; multiclass as the most probable class. */
function predictionValues(scorer: Scorer, out: Float32Array): unknown[] {
  const k = scorer.outputsPerRow;
  if (scorer.task !== 'multiclass') return Array.from(out);
  const names = scorer.classes ?? Array.from({ length: k }, (_, i) => String(i));
  return Array.from({ length: out.length / k }, (_, i) => names[argmax(out.subarray(i * k, (i + 1) * k))]);
}

/** A logged prediction as the value prediction drift compares. */
export function loggedPredictionValue(p: number | Record<string, number>): unknown {
  if (typeof p === 'number') return p;
  const entries = Object.entries(p);
  if (entries.length === 0) return null;
  return entries.reduce((best, e) => (e[1] > best[1] ? e : best))[0];
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

export interface ReferenceWindows {
  windows: number[][];
  /** How they were cut, for reports: "12 months of event_date" or "8 chunks of 1,000 rows". */
  description: string;
}

/**
 * The training data cut like production: by the same time window of the time column when the
 * training data has it and it gives enough windows, else random samples of the production
 * window size.
 */
export function referenceWindows(rows: readonly Row[], window: MonitorWindow, timeColumn: string | undefined, chunkSize: number): ReferenceWindows {
  if (typeof window === 'string' && timeColumn && rows.length > 0 && timeColumn in rows[0]!) {
    const groups = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const t = toTime(r[timeColumn]);
      if (!t) return;
      const id = timeWindowOf(t, window).id;
      const g = groups.get(id);
      if (g) g.push(i);
      else groups.set(id, [i]);
    });
    // Windows much smaller than the typical one (a month cut by the data's start) are left out:
    // their statistics are noisier than any production window's would be.
    const sizes = [...groups.values()].map((g) => g.length).sort((a, b) => a - b);
    const median = sizes[Math.floor(sizes.length / 2)] ?? 0;
    const kept = [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).filter(([, g]) => g.length >= median / 2);
    if (kept.length >= 3) return { windows: kept.map(([, g]) => g), description: `${kept.length} ${window}s of ${timeColumn}` };
  }
  // Each window is compared with the rest of the data, so it may take at most half of it.
  const size = Math.max(10, Math.min(Math.round(chunkSize), Math.floor(rows.length / 2)));
  const windows = sampledWindows(rows.length, size, REFERENCE_SAMPLES);
  return { windows, description: `${windows.length} random samples of ${size.toLocaleString('en-US')} rows` };
}

/** Random reference windows drawn when the training data has no time windows to offer. */
export const REFERENCE_SAMPLES = 100;

export class BaselineUnavailable extends Error {}
