/**
 * Vega-Lite specs for comparing two versions: every metric as a pair of bars (a, b), and one
 * metric's change per slice as diverging bars coloured by whether b got better. Rendered by
 * webviews and, for reports, to SVG in Node (renderSvg in profileHtml.ts).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { VersionComparison } from '../evaluate/compareVersions';
import { DATASET_COLORS } from './profileCharts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Green when b is better, red when worse, grey when the same (or undefined). */
const BETTER_COLORS = { better: '#54a24b', worse: '#e45756', same: '#9d9d9d' } as const;

const label = (c: VersionComparison, side: 'a' | 'b') => `${c.model}:${c[side].version}`;

/** Grouped horizontal bars: one group per metric, a bar per version. Undefined metrics are left out. */
export function compareMetricsChart(c: VersionComparison, width: number | 'container' = 'container'): TopLevelSpec {
  const versions = [label(c, 'a'), label(c, 'b')];
  const values = c.metrics.flatMap((m) =>
    (['a', 'b'] as const)
      .filter((side) => Number.isFinite(m[side]))
      .map((side) => ({ metric: m.metric, version: label(c, side), value: m[side], direction: m.direction === 'lower' ? 'lower is better' : m.direction === 'zero' ? 'best at 0' : 'higher is better' })),
  );
  return {
    $schema: SCHEMA,
    width,
    height: { step: 14 },
    background: 'transparent',
    description: `Metrics of ${versions.join(' and ')} on ${c.data}`,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'metric', type: 'nominal', sort: c.metrics.map((m) => m.metric), title: null },
      yOffset: { field: 'version', type: 'nominal', scale: { domain: versions } },
      x: { field: 'value', type: 'quantitative', title: 'value' },
      color: { field: 'version', type: 'nominal', scale: { domain: versions, range: [...DATASET_COLORS] }, title: null, legend: { orient: 'top' } },
      tooltip: [
        { field: 'metric', type: 'nominal' },
        { field: 'version', type: 'nominal' },
        { field: 'value', type: 'quantitative', format: '.4f' },
        { field: 'direction', type: 'nominal', title: 'reading' },
      ],
    },
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
          x: { field: 'delta', type: 'quantitative', title: `${metric}: ${label(c, 'b')} − ${label(c, 'a')}` },
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
