/**
 * `prodml monitor` and the Monitoring dashboard: the prediction log cut into windows, each
 * compared with the training data of the version that served it (input and prediction drift),
 * scored against labels once they arrive (the evaluation metrics), with thresholds that are fixed
 * or calibrated on windows of the training data, and the version changes on the time axis.
 */
import type { DuckSession } from '../data/duckdb';
import { quantileSorted } from '../evaluate/binning';
import { scalarMetrics, type TaskData } from '../evaluate/metrics';
import { residualsByInput, type InputResiduals } from '../evaluate/regression';
import { loadProjectConfig, type MonitoringConfig, type MonitorWindow } from '../project/config';
import { openRegistry } from '../registry';
import type { ModelCard } from '../registry/types';
import type { Route } from '../serve/logTypes';
import type { Task } from '../train/model';
import { buildAlerts } from './alerts';
import { resolveAlerts } from './lifecycle';
import { BaselineUnavailable, loadVersionBaseline, loggedPredictionValue, PREDICTION, referenceWindows, type VersionBaseline } from './baseline';
import { calibrateStatistic, oneRowShare, referenceStatistics } from './calibrate';
import { compareFeature, isMissing, type DriftStatistic, type FeatureBaseline } from './driftStats';
import { readPredictionLog, type LoggedPrediction } from './logReader';
import { versionMarkers, type PlacedRecord } from './markers';
import type { DriftValue, MonitorReport, Quantiles, ShadowReport, ThresholdReport, WindowReport } from './types';
import { MIN_WINDOW_ROWS, timeWindowOf, toTime, type WindowSpan } from './windows';


export const DEFAULT_MONITORING: MonitoringConfig = { window: 'day', drift: { threshold: 0.1, calibrate: true }, thresholds: {} };

export interface MonitorOptions {
  signal?: AbortSignal;
  /** Overrides prodml.yaml's window. */
  window?: MonitorWindow;
  /** Only instances whose window-axis time is at or after this (ISO date or instant). */
  since?: string;
}

interface Placed extends PlacedRecord {
  rec: LoggedPrediction;
}

export async function monitorModel(session: DuckSession, root: string, model: string, opts: MonitorOptions = {}): Promise<MonitorReport> {
  const project = await loadProjectConfig(root);
  const config = project?.models.find((m) => m.name === model);
  const monitoring: MonitoringConfig = { ...(config?.monitoring ?? DEFAULT_MONITORING), ...(opts.window ? { window: opts.window } : {}) };
  const window = monitoring.window;
  const timeColumn = monitoring.time_column;
  const notes: string[] = [];

  const log = await readPredictionLog(session, root, model, { signal: opts.signal });
  const since = opts.since !== undefined ? toTime(opts.since) : undefined;
  let unplaced = 0;
  const placed: Placed[] = [];
  for (const rec of log.records) {
    let axis = timeColumn ? toTime(rec.inputs[timeColumn]) : rec.time;
    if (!axis) {
      unplaced++;
      axis = rec.time;
    }
    if (since && axis < since) continue;
    placed.push({ rec, time: rec.time, axis, window: '', route: rec.route, version: rec.version });
  }
  if (unplaced > 0) notes.push(`${unplaced} logged instances have no usable ${timeColumn}; they are placed by the time their request arrived`);
  const spans = assignWindows(placed, window);

  // Cards say each version's task, label and classes; baselines are loaded for versions that serve or shadow.
  const registry = await openRegistry(root);
  const cards = new Map<number, ModelCard>();
  for (const v of new Set(placed.map((p) => p.version))) {
    try {
      cards.set(v, (await registry.getVersion(model, v)).card);
    } catch {
      notes.push(`version ${v} is in the log but no longer in the registry: its drift and metrics cannot be computed`);
    }
  }
  const task = (config?.task ?? [...cards.values()][0]?.task) as Task | undefined;
  const history = await registry.history(model).catch(() => []);

  const served = placed.filter((p) => p.route !== 'shadow');
  const byWindow = groupBy(served, (p) => p.window);
  const servedSizes = [...byWindow.values()].map((g) => g.length).sort((a, b) => a - b);
  const chunkSize = typeof window === 'object' ? window.requests : (servedSizes[Math.floor(servedSizes.length / 2)] ?? 1000);

  const baselines = new Map<number, { b: VersionBaseline; thresholds: Map<string, ThresholdReport>; reference: string } | undefined>();
  const baselineOf = async (version: number) => {
    if (baselines.has(version)) return baselines.get(version);
    let entry: { b: VersionBaseline; thresholds: Map<string, ThresholdReport>; reference: string } | undefined;
    try {
      const b = await loadVersionBaseline(session, root, await registry.getVersion(model, version), opts.signal);
      const ref = referenceWindows(b.rows, window, timeColumn, chunkSize);
      entry = { b, thresholds: thresholdsFor(b, ref.windows, ref.description, monitoring), reference: ref.description };
    } catch (e) {
      if (!(e instanceof BaselineUnavailable) && !cards.has(version)) throw e;
      notes.push(`no drift for version ${version}: ${e instanceof Error ? e.message : String(e)}`);
    }
    baselines.set(version, entry);
    return entry;
  };

  const windows: WindowReport[] = [];
  for (const span of spans) {
    const recs = byWindow.get(span.id) ?? [];
    if (recs.length === 0) continue;
    const versions = countVersions(recs);
    const dominant = versions[0]!.version;
    const base = await baselineOf(dominant);
    const small = recs.length < MIN_WINDOW_ROWS;
    const drift: DriftValue[] = [];
    if (base) {
      for (const name of base.b.inputs) {
        drift.push(...driftValues(name, base.b.features.get(name)!, recs.map((p) => p.rec.inputs[name]), base.thresholds, small));
      }
      const ownPredictions = recs.filter((p) => p.version === dominant).map((p) => loggedPredictionValue(p.rec.prediction));
      drift.push(...driftValues(PREDICTION, base.b.predictionSummary, ownPredictions, base.thresholds, small));
    }
    const routes: Partial<Record<Route, number>> = {};
    for (const p of recs) routes[p.route] = (routes[p.route] ?? 0) + 1;
    const labelled = recs.filter((p) => p.rec.label !== undefined);
    const card = cards.get(dominant);
    const w: WindowReport = {
      window: span.id,
      start: span.start,
      end: span.end,
      count: recs.length,
      routes,
      versions,
      ...(base ? { baseline_version: dominant } : {}),
      labelled: labelled.length,
      drift,
      small,
      ...predictionShape(recs.map((p) => p.rec)),
    };
    if (task && labelled.length > 0) Object.assign(w, labelledReport(task, card, labelled.map((p) => p.rec), base?.b.inputs ?? card?.features ?? []));
    windows.push(w);
  }

  const shadow: ShadowReport[] = [];
  const shadowRecs = placed.filter((p) => p.route === 'shadow');
  for (const [version, recs] of groupBy(shadowRecs, (p) => p.version)) {
    const base = await baselineOf(version);
    const report: ShadowReport = { version, count: recs.length, windows: [] };
    for (const [id, inWindow] of groupBy(recs, (p) => p.window)) {
      const span = spans.find((s) => s.id === id)!;
      const labelled = inWindow.filter((p) => p.rec.label !== undefined);
      const prediction = base
        ? driftValues(PREDICTION, base.b.predictionSummary, inWindow.map((p) => loggedPredictionValue(p.rec.prediction)), base.thresholds, inWindow.length < MIN_WINDOW_ROWS)[0]
        : undefined;
      const metrics = task && labelled.length > 0 ? labelledReport(task, cards.get(version), labelled.map((p) => p.rec), []).metrics : undefined;
      report.windows.push({ window: id, start: span.start, count: inWindow.length, labelled: labelled.length, ...(metrics ? { metrics } : {}), ...(prediction ? { prediction_drift: prediction } : {}) });
    }
    report.windows.sort((a, b) => (a.start < b.start ? -1 : 1));
    shadow.push(report);
  }

  const thresholds: ThresholdReport[] = [];
  for (const [, entry] of [...baselines.entries()].sort((a, b) => a[0] - b[0])) if (entry) thresholds.push(...entry.thresholds.values());
  for (const [metric, bounds] of Object.entries(monitoring.thresholds)) thresholds.push({ metric, statistic: metric, kind: 'fixed', ...bounds });

  const markers = versionMarkers(history, placed);
  // Each window's last request by the version its alerts belong to: an alias change after it resolves them.
  const lastRequest = new Map<string, string>();
  for (const w of windows) {
    const owner = w.baseline_version ?? w.versions[0]?.version;
    let last = -Infinity;
    for (const p of byWindow.get(w.window) ?? []) if (p.version === owner) last = Math.max(last, p.time.getTime());
    if (last > -Infinity) lastRequest.set(w.window, new Date(last).toISOString());
  }
  const alerts = resolveAlerts(buildAlerts(windows, monitoring, thresholds), lastRequest, history, config?.serving?.alias ?? 'production');
  return {
    model,
    generated_at: new Date().toISOString(),
    window,
    time_column: timeColumn ?? 'time',
    ...(task ? { task } : {}),
    log: {
      dir: log.dir,
      records: log.records.length,
      served: served.length,
      shadow: shadowRecs.length,
      skipped_lines: log.skipped,
      labels: log.labels,
      labelled: placed.filter((p) => p.rec.label !== undefined).length,
    },
    baselines: [...baselines.entries()].filter(([, e]) => e).map(([version, e]) => ({ version, datasets: e!.b.datasets, rows: e!.b.rows.length, reference: e!.reference })),
    notes,
    windows,
    shadow,
    markers,
    thresholds,
    alerts,
  };
}

/** Sets each record's window; returns the windows in time order. */
function assignWindows(placed: Placed[], window: MonitorWindow): WindowSpan[] {
  const spans = new Map<string, WindowSpan>();
  if (typeof window === 'string') {
    for (const p of placed) {
      const span = timeWindowOf(p.axis, window);
      p.window = span.id;
      spans.set(span.id, span);
    }
    return [...spans.values()].sort((a, b) => (a.start < b.start ? -1 : 1));
  }
  // Chunks of N served instances in time order; a shadow instance joins the chunk being filled.
  const ordered = [...placed].sort((a, b) => a.axis.getTime() - b.axis.getTime() || a.rec.seq - b.rec.seq);
  let servedSoFar = 0;
  const members = new Map<string, Placed[]>();
  for (const p of ordered) {
    const k = Math.floor(Math.max(0, p.route === 'shadow' ? servedSoFar - 1 : servedSoFar) / window.requests);
    if (p.route !== 'shadow') servedSoFar++;
    p.window = `#${k + 1}`;
    members.set(p.window, [...(members.get(p.window) ?? []), p]);
  }
  for (const [id, ps] of members) {
    const times = ps.map((p) => p.axis.getTime());
    spans.set(id, { id, start: new Date(Math.min(...times)).toISOString(), end: new Date(Math.max(...times)).toISOString() });
  }
  return [...spans.values()].sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
}

/** The smallest rise in a missing or new-value rate worth an alert (one percentage point). */
export const MIN_RATE_CHANGE = 0.01;

/**
 * Thresholds per feature and statistic when calibrating: mean + 3σ over the reference windows,
 * on the log scale for the distances and the square-root scale for the shares of rows (missing,
 * never seen), where each is near-normal (calibrate.ts says why); else the fixed
 * `monitoring.drift.threshold`.
 */
function thresholdsFor(b: VersionBaseline, reference: number[][], description: string, monitoring: MonitoringConfig): Map<string, ThresholdReport> {
  const out = new Map<string, ThresholdReport>();
  const fixed = monitoring.drift.threshold;
  const floor = oneRowShare(reference);
  const features: [string, FeatureBaseline, (i: number) => unknown][] = [
    ...b.inputs.map((name): [string, FeatureBaseline, (i: number) => unknown] => [name, b.features.get(name)!, (i) => b.rows[i]![name]]),
    [PREDICTION, b.predictionSummary, (i) => b.predictions[i]],
  ];
  for (const [name, summary, valueAt] of features) {
    const distance: DriftStatistic = summary.kind === 'numeric' ? 'jensen_shannon' : 'l_infinity';
    const ref = monitoring.drift.calibrate ? referenceStatistics(summary, reference.map((w) => w.map(valueAt))) : undefined;
    const statistics: DriftStatistic[] = [distance, ...(name === PREDICTION ? [] : ['missing_rate' as const]), ...(summary.kind === 'categorical' ? ['new_values' as const] : [])];
    for (const statistic of statistics) {
      // A rate that moves by less than a percentage point is noise to act on, however steady the reference was.
      const rate = statistic === 'missing_rate' || statistic === 'new_values';
      const values = ref ? (statistic === 'missing_rate' ? ref.missing_rate : statistic === 'new_values' ? ref.new_values : ref.distance) : undefined;
      const cal = values ? calibrateStatistic(statistic, values, rate ? Math.max(floor, MIN_RATE_CHANGE) : floor, summary, Math.round(1 / floor)) : undefined;
      const t: ThresholdReport = cal
        ? {
            version: b.version,
            feature: name,
            statistic,
            kind: 'calibrated',
            max: cal.threshold,
            reference: {
              mean: cal.mean,
              std: cal.std,
              windows: cal.windows,
              scale: cal.scale,
              sigmas: cal.sigmas,
              ...(cal.scale !== 'linear' ? { scaled_mean: cal.scaled_mean!, scaled_std: cal.scaled_std!, offset: cal.offset! } : {}),
              floor: cal.floor,
            },
          }
        : {
            version: b.version,
            feature: name,
            statistic,
            kind: 'fixed',
            max: fixed,
            ...(monitoring.drift.calibrate ? { note: `the training data gives too few reference windows (${description}) to calibrate on` } : {}),
          };
      out.set(`${name}\u0000${statistic}`, t);
    }
  }
  return out;
}

function driftValues(name: string, summary: FeatureBaseline, values: unknown[], thresholds: Map<string, ThresholdReport>, small: boolean): DriftValue[] {
  const c = compareFeature(summary, values);
  const of = (statistic: DriftStatistic, value: number, extra: Partial<DriftValue>): DriftValue => {
    const t = thresholds.get(`${name}\u0000${statistic}`)!;
    return { feature: name, statistic, value: Number.isFinite(value) ? value : null, threshold: t.max!, kind: t.kind, alert: !small && value > t.max!, ...extra };
  };
  const out = [of(c.statistic, c.value, { moved: c.moved })];
  if (c.new_values !== undefined && thresholds.has(`${name}\u0000new_values`)) out.push(of('new_values', c.new_values, {}));
  // A prediction is never missing; its drift is its distribution's.
  if (name !== PREDICTION) out.push(of('missing_rate', c.missing_rate, { baseline_missing: c.baseline_missing, current_missing: c.current_missing }));
  return out;
}

function countVersions(recs: readonly Placed[]): { version: number; count: number }[] {
  const m = new Map<number, number>();
  for (const p of recs) m.set(p.version, (m.get(p.version) ?? 0) + 1);
  return [...m.entries()].map(([version, count]) => ({ version, count })).sort((a, b) => b.count - a.count || b.version - a.version);
}

function predictionShape(recs: readonly LoggedPrediction[]): Pick<WindowReport, 'prediction_quantiles' | 'prediction_classes'> {
  const numbers = recs.map((r) => r.prediction).filter((p): p is number => typeof p === 'number' && Number.isFinite(p));
  if (numbers.length > 0) return { prediction_quantiles: quantiles(numbers) };
  const classes: Record<string, number> = {};
  for (const r of recs) {
    const c = loggedPredictionValue(r.prediction);
    if (typeof c === 'string') classes[c] = (classes[c] ?? 0) + 1 / recs.length;
  }
  return Object.keys(classes).length > 0 ? { prediction_classes: classes } : {};
}

function quantiles(values: readonly number[]): Quantiles {
  const s = Float64Array.from(values).sort();
  return { p05: quantileSorted(s, 0.05), p25: quantileSorted(s, 0.25), p50: quantileSorted(s, 0.5), p75: quantileSorted(s, 0.75), p95: quantileSorted(s, 0.95) };
}

/** Metrics, residual quantiles and residuals by input over labelled instances, by the evaluation functions. */
function labelledReport(task: Task, card: ModelCard | undefined, recs: readonly LoggedPrediction[], inputs: readonly string[]): Pick<WindowReport, 'metrics' | 'residual_quantiles' | 'residuals_by_input'> {
  const classes = (card?.params['classes'] as string[] | undefined) ?? undefined;
  const rows: { y: number; p: number | number[]; rec: LoggedPrediction }[] = [];
  for (const rec of recs) {
    const y = encodeLabel(task, rec.label!, classes);
    const p = rec.prediction;
    if (!Number.isFinite(y)) continue;
    if (task === 'multiclass') {
      if (typeof p !== 'object' || !classes) continue;
      rows.push({ y, p: classes.map((c) => Number(p[c] ?? 0)), rec });
    } else if (typeof p === 'number' && Number.isFinite(p)) rows.push({ y, p, rec });
  }
  if (rows.length === 0) return {};
  const labels = Float64Array.from(rows, (r) => r.y);
  const data: TaskData =
    task === 'regression'
      ? { task, labels, predictions: Float64Array.from(rows, (r) => r.p as number) }
      : task === 'binary'
        ? { task, labels, scores: Float64Array.from(rows, (r) => r.p as number) }
        : { task, labels, probabilities: rows.map((r) => r.p as number[]) };
  const metrics = Object.fromEntries(Object.entries(scalarMetrics(data)).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
  if (task === 'multiclass') return { metrics };
  // Binary residuals are label − score: where in an input's range the scores run high or low.
  const reg = { labels, predictions: Float64Array.from(rows, (r) => r.p as number) };
  const residuals = rows.map((r) => r.y - (r.p as number));
  const byInput: InputResiduals[] = [];
  for (const name of inputs) {
    const values = rows.map((r) => r.rec.inputs[name]);
    if (values.every((v) => isMissing(v) || typeof v === 'number')) byInput.push(residualsByInput(reg, name, values as (number | null)[]));
  }
  return { metrics, residual_quantiles: quantiles(residuals), residuals_by_input: byInput };
}

function encodeLabel(task: Task, label: number | string | boolean, classes: string[] | undefined): number {
  if (task === 'regression') return typeof label === 'number' ? label : typeof label === 'string' && label.trim() !== '' ? Number(label) : NaN;
  if (task === 'binary') return label === true || label === 1 || label === '1' || label === 'true' ? 1 : label === false || label === 0 || label === '0' || label === 'false' ? 0 : NaN;
  const i = classes?.indexOf(String(label)) ?? -1;
  return i >= 0 ? i : NaN;
}

function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const t of items) {
    const k = key(t);
    const g = m.get(k);
    if (g) g.push(t);
    else m.set(k, [t]);
  }
  return m;
}
