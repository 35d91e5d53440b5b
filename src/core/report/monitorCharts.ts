/**
 * Vega-Lite specs of the Monitoring dashboard, pure functions of a MonitorReport: the dashboard
 * webview embeds them, HTML reports render them to SVG in Node (renderSvg). Every time chart has
 * the same x axis (window start for time windows, the window's number for request-count windows)
 * and the same version-change rules, so a drift spike lines up with the promotion that caused it.
 */
import { metricLabel } from './format';
import type { TopLevelSpec } from 'vega-lite';
import { vegaLite } from './vegaSpec';
import type { MonitorReport } from '../monitor/types';
import { DATASET_COLORS } from './profileCharts';

type Width = number | 'container';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const ALERT_COLOR = '#e45756';
const MARKER_COLOR = '#9467bd';

export interface MonitorCharts {
  /** Present once labels have arrived. */
  metric?: TopLevelSpec;
  drift: TopLevelSpec;
  predictions?: TopLevelSpec;
  /** Regression and binary, once labels have arrived. */
  residualsOverTime?: TopLevelSpec;
  residualsByInput?: TopLevelSpec;
}

export function monitorCharts(r: MonitorReport, width: Width = 'container'): MonitorCharts {
  const metric = defaultMetric(r);
  return {
    ...(metric ? { metric: metricChart(r, metric, width) } : {}),
    drift: driftChart(r, width),
    ...(r.windows.some((w) => w.prediction_quantiles || w.prediction_classes) ? { predictions: predictionChart(r, width) } : {}),
    ...(r.windows.some((w) => w.residual_quantiles) ? { residualsOverTime: residualsOverTimeChart(r, width) } : {}),
    ...(r.windows.some((w) => w.residuals_by_input?.length) ? { residualsByInput: residualsByInputChart(r, typeof width === 'number' ? Math.max(160, Math.floor(width / 3) - 40) : 220) } : {}),
  };
}

/** The task's headline metric, when any window has it. */
export function defaultMetric(r: MonitorReport): string | undefined {
  const preferred = r.task === 'regression' ? 'rmse' : r.task === 'binary' ? 'auc' : 'accuracy';
  const has = (m: string) => r.windows.some((w) => typeof w.metrics?.[m] === 'number');
  return has(preferred) ? preferred : r.windows.flatMap((w) => Object.keys(w.metrics ?? {})).find(has);
}

const timeAxis = (r: MonitorReport) => typeof r.window === 'string';

/** The x encoding every time chart shares. */
function xOf(r: MonitorReport, title = 'window'): Record<string, unknown> {
  return timeAxis(r) ? { field: 'start', type: 'temporal', title } : { field: 'window', type: 'ordinal', sort: r.windows.map((w) => w.window), title };
}

/** Rules where the served version changed, labelled, as layers to add to a time chart. */
function markerLayers(r: MonitorReport): Record<string, unknown>[] {
  // Only changes that fall inside the charted windows: an event outside them would stretch the axis.
  const values = r.markers
    .filter((m) => m.window !== undefined && r.windows.some((w) => w.window === m.window))
    .map((m) => ({ start: m.at, window: m.window, label: m.action === 'rollback' ? `rollback → v${m.to}` : `v${m.to}`, description: m.description, source: m.source }));
  if (values.length === 0) return [];
  const x = timeAxis(r) ? { field: 'start', type: 'temporal' } : { field: 'window', type: 'ordinal', sort: r.windows.map((w) => w.window) };
  return [
    {
      data: { values },
      mark: { type: 'rule', color: MARKER_COLOR, strokeDash: [4, 3] },
      encoding: { x, tooltip: [{ field: 'description', type: 'nominal', title: 'version change' }, { field: 'source', type: 'nominal' }] },
    },
    {
      data: { values },
      mark: { type: 'text', color: MARKER_COLOR, align: 'left', baseline: 'top', dx: 3, dy: 2, fontSize: 10 },
      encoding: { x, y: { value: 0 }, text: { field: 'label' } },
    },
  ];
}

/** A metric per window with its threshold (dashed) and the version changes. */
export function metricChart(r: MonitorReport, metric: string, width: Width = 'container'): TopLevelSpec {
  const values = r.windows
    .filter((w) => typeof w.metrics?.[metric] === 'number')
    .map((w) => ({ window: w.window, start: w.start, value: w.metrics![metric], labelled: w.labelled, alert: r.alerts.some((a) => a.window === w.window && a.metric === metric) }));
  const t = r.thresholds.find((x) => x.metric === metric);
  const bounds = [t?.max, t?.min].filter((b): b is number => typeof b === 'number').map((b) => ({ bound: b }));
  return vegaLite({
    $schema: SCHEMA,
    width,
    height: 200,
    background: 'transparent',
    description: `${metricLabel(metric)} per window`,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: { filled: true, size: 50 } },
        encoding: {
          x: xOf(r),
          y: { field: 'value', type: 'quantitative', title: metricLabel(metric), scale: { zero: false } },
          color: { value: DATASET_COLORS[0] },
          tooltip: [
            { field: 'window', type: 'nominal' },
            { field: 'value', type: 'quantitative', title: metricLabel(metric), format: '.3~r' },
            { field: 'labelled', type: 'quantitative', title: 'labelled predictions' },
          ],
        },
      },
      {
        data: { values: values.filter((v) => v.alert) },
        mark: { type: 'point', shape: 'circle', size: 140, color: ALERT_COLOR, filled: false, strokeWidth: 2 },
        encoding: { x: xOf(r), y: { field: 'value', type: 'quantitative' } },
      },
      ...(bounds.length > 0 ? [{ data: { values: bounds }, mark: { type: 'rule', color: ALERT_COLOR, strokeDash: [6, 4] }, encoding: { y: { field: 'bound', type: 'quantitative' } } }] : []),
      ...markerLayers(r),
    ],
  });
}

/**
 * Drift per feature per window as a heatmap of value / threshold: one colour scale serves every
 * statistic, 1 is the alert line, and alerts carry a mark. The prediction is the top row.
 */
export function driftChart(r: MonitorReport, width: Width = 'container'): TopLevelSpec {
  const values = r.windows.flatMap((w) =>
    w.drift
      .filter((d) => d.value !== null)
      .map((d) => ({
        window: w.window,
        start: w.start,
        row: d.statistic === 'missing_rate' ? `${d.feature} (missing)` : d.feature,
        statistic: d.statistic,
        value: d.value,
        threshold: d.threshold,
        kind: d.kind,
        ratio: d.threshold > 0 ? Math.max(0, d.value!) / d.threshold : 0,
        alert: d.alert ? '!' : '',
      })),
  );
  const rows = [...new Set(values.map((v) => v.row))].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  const x = { field: 'window', type: 'ordinal', sort: r.windows.map((w) => w.window), title: 'window' };
  const y = { field: 'row', type: 'nominal', sort: rows, title: null };
  return vegaLite({
    $schema: SCHEMA,
    width,
    height: Math.max(80, 18 * rows.length),
    background: 'transparent',
    description: 'Drift against the training data per feature and window (value / threshold)',
    data: { values },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          x,
          y,
          color: { field: 'ratio', type: 'quantitative', title: 'value / threshold', scale: { domain: [0, 1, 2], range: ['#f2f7fb', '#fdd49e', ALERT_COLOR], clamp: true } },
          tooltip: [
            { field: 'window', type: 'nominal' },
            { field: 'row', type: 'nominal', title: 'feature' },
            { field: 'statistic', type: 'nominal' },
            { field: 'value', type: 'quantitative', format: '.4f' },
            { field: 'threshold', type: 'quantitative', format: '.4f' },
            { field: 'kind', type: 'nominal', title: 'threshold kind' },
          ],
        },
      },
      { mark: { type: 'text', fontWeight: 'bold', color: 'white' }, encoding: { x, y, text: { field: 'alert' } } },
    ],
  });
}

const rank = (row: string) => (row.startsWith('(prediction)') ? 0 : row.endsWith('(missing)') ? 2 : 1);

/**
 * The predictions' distribution per window: the median with 25–75% and 5–95% bands (numbers), or
 * each class's share (multiclass).
 */
export function predictionChart(r: MonitorReport, width: Width = 'container'): TopLevelSpec {
  const numeric = r.windows.filter((w) => w.prediction_quantiles).map((w) => ({ window: w.window, start: w.start, ...w.prediction_quantiles! }));
  if (numeric.length > 0) {
    const x = xOf(r);
    const tooltip = [{ field: 'window', type: 'nominal' }, ...(['p05', 'p25', 'p50', 'p75', 'p95'] as const).map((q) => ({ field: q, type: 'quantitative', format: '.3f' }))];
    return vegaLite({
      $schema: SCHEMA,
      width,
      height: 200,
      background: 'transparent',
      description: 'Prediction distribution per window',
      layer: [
        { data: { values: numeric }, mark: { type: 'area', opacity: 0.2, color: DATASET_COLORS[0] }, encoding: { x, y: { field: 'p05', type: 'quantitative', title: 'prediction', scale: { zero: false } }, y2: { field: 'p95' } } },
        { data: { values: numeric }, mark: { type: 'area', opacity: 0.35, color: DATASET_COLORS[0] }, encoding: { x, y: { field: 'p25', type: 'quantitative' }, y2: { field: 'p75' } } },
        { data: { values: numeric }, mark: { type: 'line', point: true, color: DATASET_COLORS[0] }, encoding: { x, y: { field: 'p50', type: 'quantitative' }, tooltip } },
        ...markerLayers(r),
      ],
    });
  }
  const shares = r.windows.flatMap((w) => Object.entries(w.prediction_classes ?? {}).map(([cls, share]) => ({ window: w.window, start: w.start, class: cls, share })));
  return vegaLite({
    $schema: SCHEMA,
    width,
    height: 200,
    background: 'transparent',
    description: 'Predicted class shares per window',
    data: { values: shares },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'window', type: 'ordinal', sort: r.windows.map((w) => w.window), title: 'window' },
      y: { field: 'share', type: 'quantitative', stack: 'normalize', axis: { format: '%' }, title: 'predicted class' },
      color: { field: 'class', type: 'nominal' },
      tooltip: [{ field: 'window', type: 'nominal' }, { field: 'class', type: 'nominal' }, { field: 'share', type: 'quantitative', format: '.1%' }],
    },
  });
}

/** Residuals (label − prediction) per window: median and 5–95% band, with the zero line. */
export function residualsOverTimeChart(r: MonitorReport, width: Width = 'container'): TopLevelSpec {
  const values = r.windows.filter((w) => w.residual_quantiles).map((w) => ({ window: w.window, start: w.start, mean: w.metrics?.['mean_residual'] ?? null, ...w.residual_quantiles! }));
  const x = xOf(r);
  return vegaLite({
    $schema: SCHEMA,
    width,
    height: 180,
    background: 'transparent',
    description: 'Residuals (label − prediction) per window',
    layer: [
      { data: { values }, mark: { type: 'area', opacity: 0.25, color: DATASET_COLORS[1] }, encoding: { x, y: { field: 'p05', type: 'quantitative', title: 'residual (label − prediction)' }, y2: { field: 'p95' } } },
      {
        data: { values },
        mark: { type: 'line', point: true, color: DATASET_COLORS[1] },
        encoding: { x, y: { field: 'p50', type: 'quantitative' }, tooltip: [{ field: 'window', type: 'nominal' }, { field: 'p50', type: 'quantitative', title: 'median', format: '.3f' }, { field: 'mean', type: 'quantitative', title: 'mean', format: '.3f' }] },
      },
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#888' }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
      ...markerLayers(r),
    ],
  });
}

/** Mean residual per bin of each numeric input, one line per window, one panel per input. */
export function residualsByInputChart(r: MonitorReport, width: number = 220): TopLevelSpec {
  const values = r.windows.flatMap((w) =>
    (w.residuals_by_input ?? []).flatMap((input) =>
      input.bins
        .filter((b) => b.lower !== undefined && b.upper !== undefined && b.count > 0 && Number.isFinite(b.mean_residual))
        .map((b) => ({ window: w.window, input: input.input, x: (b.lower! + b.upper!) / 2, bin: b.label, count: b.count, mean_residual: b.mean_residual })),
    ),
  );
  return vegaLite({
    $schema: SCHEMA,
    background: 'transparent',
    description: 'Mean residual per bin of each numeric input, per window',
    data: { values },
    facet: { field: 'input', type: 'nominal', title: null },
    columns: 3,
    spec: {
      width,
      height: 150,
      layer: [
        {
          mark: { type: 'line', point: true, opacity: 0.8 },
          encoding: {
            x: { field: 'x', type: 'quantitative', title: null, scale: { zero: false } },
            y: { field: 'mean_residual', type: 'quantitative', title: 'mean residual' },
            color: { field: 'window', type: 'ordinal', sort: r.windows.map((w) => w.window), title: 'window' },
            tooltip: [
              { field: 'window', type: 'nominal' },
              { field: 'bin', type: 'nominal' },
              { field: 'count', type: 'quantitative', title: 'rows' },
              { field: 'mean_residual', type: 'quantitative', format: '.3f' },
            ],
          },
        },
        { mark: { type: 'rule', color: '#888' }, encoding: { y: { datum: 0 } } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  });
}
