/**
 * Two registered versions of a model side by side on the same data: `prodml models compare` and
 * the compare view. Each version is scored by evaluateVersion (its own saved transforms, the
 * same metrics as training), so a delta here is exactly the difference of two `prodml evaluate`
 * runs on that data. Deltas are b − a; `better` reads each metric in its own direction.
 */
import type { DuckSession } from '../data/duckdb';
import type { DataSource } from '../data/source';
import { badInput } from '../errors';
import type { ModelConfig, ProjectConfig } from '../project/config';
import type { ModelVersion } from '../registry/types';
import { loadTrainedOn } from '../train/columnarSplit';
import { splitNotes } from '../train/splitData';
import { evaluateVersion } from './evaluateVersion';
import type { EvaluationReport } from './evaluation';
import { isMetricName, METRIC_DIRECTIONS, type MetricDirection } from './types';

export type Better = 'a' | 'b' | 'same';

export interface MetricDelta {
  metric: string;
  direction: MetricDirection;
  /** NaN when the data cannot define the metric for that version (JSON: null). */
  a: number;
  b: number;
  /** b − a. */
  delta: number;
  /** 'same' when equal, or when either value is undefined. */
  better: Better;
}

export interface SliceDelta {
  /** The slice column. */
  slice: string;
  /** The column's value; null for rows missing it. */
  value: string | null;
  rows: number;
  /** Fewer rows than evaluation's minimum: the deltas are noise. */
  small: boolean;
  metrics: MetricDelta[];
}

export interface ComparedVersion {
  version: number;
  aliases: string[];
  report: EvaluationReport & { rows: number };
}

export interface VersionComparison {
  model: string;
  data: string;
  /** Rows both versions were scored on (rows with a usable label). */
  rows: number;
  /** The metric listings lead with (the cards' key metric): what the slice table and chart show first. */
  key_metric: string;
  a: ComparedVersion;
  b: ComparedVersion;
  metrics: MetricDelta[];
  slices: SliceDelta[];
}

export function metricDirection(metric: string): MetricDirection {
  return isMetricName(metric) ? METRIC_DIRECTIONS[metric] : 'higher';
}

/** Which value is better in the metric's direction; 'same' on a tie or when either is undefined. */
export function betterOf(metric: string, a: number, b: number): Better {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === b) return 'same';
  const direction = metricDirection(metric);
  // A bias ('zero') is best at 0 either side, so the smaller magnitude wins.
  if (direction === 'zero') return Math.abs(a) === Math.abs(b) ? 'same' : Math.abs(b) < Math.abs(a) ? 'b' : 'a';
  return (direction === 'higher') === b > a ? 'b' : 'a';
}

function deltas(a: Record<string, number> | undefined, b: Record<string, number> | undefined): MetricDelta[] {
  const names = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])];
  return names.map((metric) => {
    const va = a?.[metric] ?? Number.NaN;
    const vb = b?.[metric] ?? Number.NaN;
    return { metric, direction: metricDirection(metric), a: va, b: vb, delta: vb - va, better: betterOf(metric, va, vb) };
  });
}

export async function compareVersions(
  session: DuckSession,
  a: ModelVersion,
  b: ModelVersion,
  data: DataSource,
  opts: { slices?: string[]; signal?: AbortSignal } = {},
): Promise<VersionComparison> {
  if (a.model !== b.model) throw badInput(undefined, `compare two versions of one model (got ${a.model}:${a.version} and ${b.model}:${b.version})`);
  if (a.card.task !== b.card.task || a.card.label !== b.card.label) {
    throw badInput(b.dir, `${b.model}:${b.version} predicts ${b.card.label} (${b.card.task}) but ${a.model}:${a.version} predicts ${a.card.label} (${a.card.task}): their metrics do not compare`);
  }
  const ra = await evaluateVersion(session, a, data, opts);
  const rb = await evaluateVersion(session, b, data, opts);
  const slices: SliceDelta[] = [];
  for (const colA of ra.slices) {
    const colB = rb.slices.find((c) => c.column === colA.column);
    for (const sa of colA.slices) {
      const sb = colB?.slices.find((s) => s.value === sa.value);
      slices.push({
        slice: colA.column,
        value: sa.value,
        rows: sa.rows,
        small: sa.small,
        metrics: deltas(sa.evaluation?.metrics as Record<string, number> | undefined, sb?.evaluation?.metrics as Record<string, number> | undefined),
      });
    }
  }
  const metrics = deltas(ra.overall.metrics as Record<string, number>, rb.overall.metrics as Record<string, number>);
  const key = [b.card.key_metric, a.card.key_metric].find((k) => k !== undefined && metrics.some((m) => m.metric === k)) ?? metrics[0]?.metric ?? '';
  return {
    model: a.model,
    data: data.display,
    rows: ra.rows,
    key_metric: key,
    a: { version: a.version, aliases: a.aliases, report: ra },
    b: { version: b.version, aliases: b.aliases, report: rb },
    metrics,
    slices,
  };
}

/** The compare document without the two full reports: what `--json` prints and webviews receive. */
export function comparisonSummary(c: VersionComparison) {
  const side = (s: ComparedVersion) => ({ version: s.version, aliases: s.aliases, metrics: s.report.overall.metrics });
  return { model: c.model, data: c.data, rows: c.rows, key_metric: c.key_metric, a: side(c.a), b: side(c.b), metrics: c.metrics, slices: c.slices };
}

export const HELD_OUT_TABLE = 'prodml_held_out_rows';

/**
 * The rows a model's training run held out for evaluation, reproduced from prodml.yaml: the same
 * dataset files, the same rows dropped for lack of a label, the same split and seed (splits are
 * deterministic). `notes` says when a version was trained on another split or other files, for
 * then some of these rows may have been in its training data.
 */
export async function heldOutSource(
  session: DuckSession,
  project: ProjectConfig,
  m: ModelConfig,
  versions: readonly ModelVersion[],
  signal?: AbortSignal,
): Promise<{ source: DataSource; rows: number; notes: string[] }> {
  // The split from typed columns (loadTrainedOn, as training reads it): no row object of the dataset.
  const data = await loadTrainedOn(session, project, m, signal);
  const evalRows = data.eval;
  const seed = data.seed;
  await session.run(`CREATE OR REPLACE TEMP TABLE prodml_held_out_index (__row INTEGER)`, { signal });
  // Through the appender: one INSERT of 5,000 literals at a time took seconds at 1M rows.
  const appender = await session.appender('prodml_held_out_index');
  for (const i of evalRows) {
    appender.appendInteger(i);
    appender.endRow();
  }
  appender.closeSync();
  await session.run(
    `CREATE OR REPLACE TEMP TABLE ${HELD_OUT_TABLE} AS SELECT t.* EXCLUDE (__row) FROM ${data.table} t SEMI JOIN prodml_held_out_index s ON t.__row = s.__row ORDER BY t.__row`,
    { signal },
  );
  const notes = versions.flatMap((v) => splitNotes(m, data, v));
  const kind = m.split.kind === 'random' ? 'random' : `by ${m.split.kind} on ${(m.split as { column: string }).column}`;
  const display = `the held-out split of ${m.dataset.path.join(', ')} (${kind}, ${Math.round((m.split.eval_fraction ?? 0.2) * 100)}%, seed ${seed})`;
  return { source: { path: project.root, display, format: 'parquet', scan: HELD_OUT_TABLE }, rows: evalRows.length, notes };
}
