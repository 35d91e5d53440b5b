/**
 * Vega-Lite specs for comparing two versions: every metric as a pair of bars (a, b), and one
 * metric's change per slice as diverging bars coloured by whether b got better. Rendered by
 * webviews and, for reports, to SVG in Node (renderSvg in profileHtml.ts).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { VersionComparison } from '../evaluate/compareVersions';
import { DATASET_COLORS } from './profileCharts';
import { fmtNum, metricLabel } from './format';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Green when b is better, red when worse, grey when the same (or undefined). */
const BETTER_COLORS = { better: '#54a24b', worse: '#e45756', same: '#9d9d9d' } as const;

const label = (c: VersionComparison, side: 'a' | 'b') => `${c.model}:${c[side].version}`;

/**
 * One row of bars per metric, a bar per version, each row on its own axis: RMSE in pounds and R²
 * (a fraction) share no scale. Undefined metrics are left out.
 */
export function compareMetricsChart(c: VersionComparison, width: number | 'container' = 'container'): TopLevelSpec {
  const versions = [label(c, 'a'), label(c, 'b')];
  const order = c.metrics.map((m) => metricLabel(m.metric));
  const values = c.metrics.flatMap((m) =>
    (['a', 'b'] as const)
      .filter((side) => Number.isFinite(m[side]))
      .map((side) => ({ metric: metricLabel(m.metric), version: label(c, side), value: m[side], shown: fmtNum(m[side]), direction: m.direction === 'lower' ? 'lower is better' : m.direction === 'zero' ? 'best at 0' : 'higher is better' })),
  );
  return {
    $schema: SCHEMA,
    background: 'transparent',
    description: `Metrics of ${versions.join(' and ')} on ${c.data}, one axis per metric`,
    data: { values },
    facet: { row: { field: 'metric', type: 'nominal', sort: order, title: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelFontWeight: 'bold' } } },
    spec: {
      // A facet cannot fill its container; a fixed width close to the panel's keeps bars readable.
      width: typeof width === 'number' ? width : 360,
      height: { step: 16 },
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            y: { field: 'version', type: 'nominal', scale: { domain: versions }, title: null },
            x: { field: 'value', type: 'quantitative', title: null, axis: { format: '~r', tickCount: 4 } },
            color: { field: 'version', type: 'nominal', scale: { domain: versions, range: [...DATASET_COLORS] }, title: null, legend: { orient: 'top' } },
            tooltip: [
              { field: 'metric', type: 'nominal' },
              { field: 'version', type: 'nominal' },
              { field: 'shown', type: 'nominal', title: 'value' },
              { field: 'direction', type: 'nominal', title: 'reading' },
            ],
          },
        },
        { mark: { type: 'text', align: 'left', dx: 3 }, encoding: { y: { field: 'version', type: 'nominal', scale: { domain: versions } }, x: { field: 'value', type: 'quantitative' }, text: { field: 'shown' } } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as TopLevelSpec;
}

/** b − a of one metric per slice, coloured by which version is better there. */
export function compareSliceDeltaChart(c: VersionComparison, metric: string, width: number | 'container' = 'container'): TopLevelSpec {
  const values = c.slices.flatMap((s) => {
    const m = s.metrics.find((x) => x.metric === metric);
    if (!m || !Number.isFinite(m.delta)) return [];
    return [
      {
        slice: `${s.slice} = ${s.value ?? '(missing)'}`,
        rows: s.rows,
        a: m.a,
        b: m.b,
        delta: m.delta,
        outcome: m.better === 'b' ? 'better' : m.better === 'a' ? 'worse' : 'same',
        note: s.small ? 'few rows: noise' : '',
      },
    ];
  });
  return {
    $schema: SCHEMA,
    width,
    height: { step: 18 },
    background: 'transparent',
    description: `Change in ${metric} per slice, ${label(c, 'b')} minus ${label(c, 'a')}`,
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'slice', type: 'nominal', sort: values.map((v) => v.slice), title: null, axis: { labelLimit: 160 } },
          x: { field: 'delta', type: 'quantitative', title: `${metricLabel(metric)}: ${label(c, 'b')} − ${label(c, 'a')}` },
          color: {
            field: 'outcome',
            type: 'nominal',
            scale: { domain: ['better', 'worse', 'same'], range: [BETTER_COLORS.better, BETTER_COLORS.worse, BETTER_COLORS.same] },
            title: `${label(c, 'b')} is`,
            legend: { orient: 'top' },
          },
          opacity: { condition: { test: "datum.note !== ''", value: 0.45 }, value: 1 },
          tooltip: [
            { field: 'slice', type: 'nominal' },
            { field: 'rows', type: 'quantitative', format: ',' },
            { field: 'a', type: 'quantitative', format: '.4f', title: label(c, 'a') },
            { field: 'b', type: 'quantitative', format: '.4f', title: label(c, 'b') },
            { field: 'delta', type: 'quantitative', format: '+.4f' },
            { field: 'note', type: 'nominal' },
          ],
        },
      },
      { mark: { type: 'rule', color: '#888' }, encoding: { x: { datum: 0 } } },
    ],
  } as TopLevelSpec;
}
