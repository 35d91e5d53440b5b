/**
 * Vega-Lite specs of a tuning study, pure functions of a TuneResult: the trials webview embeds
 * them, reports render them to SVG in Node (renderSvg in profileHtml.ts).
 *  - params: one scatter per searched parameter against the metric, so a good region shows;
 *  - parallel: parallel coordinates, every trial a line across its parameters to its metric;
 *  - epochs: the metric per epoch of every trial, with the rungs where successive halving cut
 *    trials short.
 */
import { fmtNum, metricLabel, spansDecades } from './format';
import type { TopLevelSpec } from 'vega-lite';
import { effectiveParams } from '../tune/space';
import { TUNABLE_PARAMS, type ParamValue, type TrialRecord, type TrialStatus, type TuneResult } from '../tune/types';

type Width = number | 'container';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const STATUS_COLORS: Record<TrialStatus, string> = { completed: '#4c78a8', stopped: '#bab0ac', failed: '#e45756' };
const BEST_COLOR = '#f58518';
const statusScale = { domain: Object.keys(STATUS_COLORS), range: Object.values(STATUS_COLORS) };

export interface TuneCharts {
  params: TopLevelSpec;
  parallel: TopLevelSpec;
  epochs: TopLevelSpec;
}

export function tuneCharts(r: TuneResult, width: Width = 'container'): TuneCharts {
  return { params: tuneParamsChart(r, width), parallel: tuneParallelChart(r, width), epochs: tuneEpochsChart(r, width) };
}

const searched = (r: TuneResult) => TUNABLE_PARAMS.filter((p) => r.space[p]);
const label = (v: ParamValue | undefined) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
const metricTitle = (r: TuneResult) => `${metricLabel(r.metric)} (${r.direction === 'lower' ? 'lower' : r.direction === 'higher' ? 'higher' : 'nearer 0'} is better)`;
const role = (r: TuneResult, t: TrialRecord) => (t.trial === r.best?.trial ? 'best' : t.source === 'default' ? 'prodml.yaml' : 'random');

/** Scatter of each searched parameter (x) against the metric (y), one panel per parameter, sharing y. */
export function tuneParamsChart(r: TuneResult, width: Width = 'container'): TopLevelSpec {
  const names = searched(r);
  const scored = r.trials.filter((t) => t.metric !== null);
  const values = scored.map((t) => {
    const p = effectiveParams(t, names);
    return {
      trial: t.trial,
      status: t.status,
      role: role(r, t),
      metric: t.metric,
      epochs: t.epochs.length,
      ...Object.fromEntries(names.map((n) => [n, r.space[n]!.kind === 'categorical' ? label(p[n]) : p[n]])),
    };
  });
  const log = logWorthy(scored.map((t) => t.metric!));
  const y = { field: 'metric', type: 'quantitative', scale: log ? { type: 'log' } : { zero: false }, title: log ? `${metricTitle(r)}, log scale` : metricTitle(r) };
  const panelWidth = typeof width === 'number' ? Math.max(120, Math.floor(width / Math.max(1, names.length)) - 30) : 180;
  const panels = names.map((n) => {
    const spec = r.space[n]!;
    const x =
      spec.kind === 'categorical'
        ? { field: n, type: 'nominal', sort: spec.values!.map((v) => label(v)), title: n, axis: { labelAngle: -30 } }
        : { field: n, type: 'quantitative', title: spec.kind === 'log_float' ? `${n} (log scale)` : n, scale: spec.kind === 'log_float' ? { type: 'log', nice: false } : { zero: false, nice: false } };
    return {
      width: panelWidth,
      height: 200,
      layer: [
        {
          mark: { type: 'point', filled: true, size: 60, opacity: 0.85 },
          encoding: {
            x,
            y,
            color: { field: 'status', type: 'nominal', scale: statusScale, title: 'trial' },
            shape: { field: 'role', type: 'nominal', scale: { domain: ['best', 'prodml.yaml', 'random'], range: ['diamond', 'square', 'circle'] }, title: null },
            tooltip: [
              { field: 'trial', type: 'quantitative' },
              { field: 'role', type: 'nominal' },
              { field: 'status', type: 'nominal' },
              { field: 'metric', type: 'quantitative', format: '.4f', title: r.metric },
              { field: 'epochs', type: 'quantitative' },
              ...names.map((m) => ({ field: m, type: r.space[m]!.kind === 'categorical' ? 'nominal' : 'quantitative' })),
            ],
          },
        },
        // A ring around the best trial, whatever its shape.
        { transform: [{ filter: "datum.role === 'best'" }], mark: { type: 'point', size: 220, strokeWidth: 2, color: BEST_COLOR }, encoding: { x, y } },
      ],
    };
  });
  return {
    $schema: SCHEMA,
    background: 'transparent',
    description: `${r.model} tuning study ${r.study}: ${r.metric} of each trial against each searched parameter`,
    data: { values },
    hconcat: panels,
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec;
}

/**
 * Parallel coordinates: an axis per searched parameter and a last one for the metric, each
 * scaled to its own range (log for log_float; categories evenly spaced), one line per trial
 * coloured by its metric. Positions are computed here, where each axis's kind is known.
 */
export function tuneParallelChart(r: TuneResult, width: Width = 'container'): TopLevelSpec {
  const names = searched(r);
  const scored = r.trials.filter((t) => t.metric !== null);
  const axes: { name: string; position: (t: TrialRecord) => number; ticks: { at: number; text: string }[] }[] = names.map((n) => {
    const spec = r.space[n]!;
    const raw = (t: TrialRecord) => effectiveParams(t, [n])[n];
    if (spec.kind === 'categorical') {
      const cats = spec.values!.map((v) => label(v));
      // A default trial's value may lie outside the listed ones: it gets a place of its own.
      for (const t of scored) if (!cats.includes(label(raw(t)))) cats.push(label(raw(t)));
      const at = (c: string) => (cats.length === 1 ? 0.5 : cats.indexOf(c) / (cats.length - 1));
      return { name: n, position: (t) => at(label(raw(t))), ticks: cats.map((c) => ({ at: at(c), text: c })) };
    }
    const log = spec.kind === 'log_float';
    const f = (v: number) => (log ? Math.log(v) : v);
    const nums = scored.map((t) => Number(raw(t)));
    const lo = Math.min(spec.min!, ...nums);
    const hi = Math.max(spec.max!, ...nums);
    const at = (v: number) => (hi === lo ? 0.5 : (f(v) - f(lo)) / (f(hi) - f(lo)));
    return { name: n, position: (t) => at(Number(raw(t))), ticks: [lo, hi].map((v) => ({ at: at(v), text: fmt(v) })) };
  });
  const metrics = scored.map((t) => t.metric!);
  const mLo = Math.min(...metrics);
  const mHi = Math.max(...metrics);
  const mf = logWorthy(metrics) ? Math.log : (v: number) => v;
  const mAt = (v: number) => (mHi === mLo ? 0.5 : (mf(v) - mf(mLo)) / (mf(mHi) - mf(mLo)));
  axes.push({ name: r.metric, position: (t) => mAt(t.metric!), ticks: metrics.length ? [mLo, mHi].map((v) => ({ at: mAt(v), text: fmt(v) })) : [] });

  const order = axes.map((a) => a.name);
  const lines = scored.flatMap((t) => axes.map((a) => ({ trial: t.trial, axis: a.name, position: a.position(t), metric: t.metric, status: t.status, best: t.trial === r.best?.trial })));
  const ticks = axes.flatMap((a) => a.ticks.map((k) => ({ axis: a.name, position: k.at, text: k.text })));
  const x = { field: 'axis', type: 'ordinal', sort: order, title: null, axis: { labelAngle: 0, orient: 'top', domain: false } };
  const y = { field: 'position', type: 'quantitative', axis: null, scale: { domain: [0, 1] } };
  // Better trials dark (visible on a light background) whichever way the metric points.
  const reverse = r.direction === 'higher';
  return {
    $schema: SCHEMA,
    width,
    height: 260,
    background: 'transparent',
    description: `${r.model} tuning study ${r.study}: parallel coordinates of the searched parameters and ${r.metric}`,
    layer: [
      { data: { values: order.map((axis) => ({ axis })) }, mark: { type: 'rule', color: '#999' }, encoding: { x } },
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1.5, opacity: 0.75 },
        encoding: {
          x,
          y,
          detail: { field: 'trial', type: 'nominal' },
          color: { field: 'metric', type: 'quantitative', scale: { scheme: 'viridis', reverse }, title: r.metric },
          strokeDash: { field: 'status', type: 'nominal', scale: { domain: ['completed', 'stopped', 'failed'], range: [[1, 0], [4, 3], [1, 3]] }, title: 'trial' },
          tooltip: [
            { field: 'trial', type: 'quantitative' },
            { field: 'status', type: 'nominal' },
            { field: 'metric', type: 'quantitative', format: '.4f', title: r.metric },
          ],
        },
      },
      {
        data: { values: lines.filter((l) => l.best) },
        mark: { type: 'line', strokeWidth: 3, color: BEST_COLOR },
        encoding: { x, y, detail: { field: 'trial', type: 'nominal' } },
      },
      { data: { values: ticks }, mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#888' }, encoding: { x, y, text: { field: 'text' } } },
    ],
  } as TopLevelSpec;
}

/** The metric per epoch of each trial; trials stopped at a rung end there. Dashed rules mark the rungs. */
export function tuneEpochsChart(r: TuneResult, width: Width = 'container'): TopLevelSpec {
  const values = r.trials.flatMap((t) =>
    t.epochs
      .filter((e) => e.metric !== null)
      .map((e) => ({ trial: t.trial, epoch: e.epoch, metric: e.metric, status: t.status, best: t.trial === r.best?.trial ? 'best trial' : '' })),
  );
  const log = logWorthy(values.map((v) => v.metric!));
  const x = { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' }, title: 'epoch', scale: { domain: [1, Math.max(2, ...r.trials.map((t) => t.epochs.length))], nice: false } };
  return {
    $schema: SCHEMA,
    width,
    height: 240,
    background: 'transparent',
    description: `${r.model} tuning study ${r.study}: ${r.metric} on the validation rows after each epoch of each trial`,
    layer: [
      {
        data: { values: r.rungs.map((epoch) => ({ epoch, label: `rung ${epoch}` })) },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'epoch', type: 'quantitative' }, tooltip: [{ field: 'label', type: 'nominal', title: 'successive halving' }] },
      },
      {
        data: { values },
        mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.5, opacity: 0.8 },
        encoding: {
          x,
          y: { field: 'metric', type: 'quantitative', scale: log ? { type: 'log' } : { zero: false }, title: log ? `${metricTitle(r)}, log scale` : metricTitle(r) },
          detail: { field: 'trial', type: 'nominal' },
          color: { field: 'status', type: 'nominal', scale: statusScale, title: 'trial' },
          tooltip: [
            { field: 'trial', type: 'quantitative' },
            { field: 'status', type: 'nominal' },
            { field: 'epoch', type: 'quantitative' },
            { field: 'metric', type: 'quantitative', format: '.4f', title: r.metric },
          ],
        },
      },
      {
        data: { values: values.filter((v) => v.best) },
        mark: { type: 'line', strokeWidth: 3, color: BEST_COLOR },
        encoding: { x, y: { field: 'metric', type: 'quantitative' }, detail: { field: 'trial', type: 'nominal' } },
      },
    ],
  } as TopLevelSpec;
}

/**
 * Trials cut at the first rung often score many times worse than the rest; on a linear axis they
 * squash the good trials into one line. A log axis keeps them apart when every value is positive
 * and they span a decade or more; over a smaller range it only distorts.
 */
function logWorthy(values: readonly number[]): boolean {
  return spansDecades(values);
}

function fmt(v: number): string {
  // Hyperparameters such as a learning rate of 3e-5 are written that way; metrics are not.
  return v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(1) : fmtNum(v);
}
