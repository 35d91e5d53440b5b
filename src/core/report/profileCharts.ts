import type { TopLevelSpec } from 'vega-lite';
import type { ColumnProfile, ProfileResult } from '../data/profileTypes';

/** Colours of the base and compared datasets, shared by the webview legend and the HTML report. */
export const DATASET_COLORS = ['#4c78a8', '#f58518'] as const;

export interface ColumnChart {
  column: string;
  spec: TopLevelSpec;
}

interface Series {
  label: string;
  column: ColumnProfile;
  rows: number;
}

/**
 * One Vega-Lite spec per column: a histogram for numbers and dates, a bar chart of top values
 * for strings and booleans. With a compared dataset the bars show shares, not counts, so
 * datasets of different sizes overlay fairly.
 */
export function profileCharts(result: ProfileResult, width: number | 'container' = 'container', height = 150): ColumnChart[] {
  const baseLabel = result.source;
  const cmpLabel = result.compare ? result.compare.source + (result.compare.source === baseLabel ? ' (compare)' : '') : '';
  return result.columns.map((col) => {
    const series: Series[] = [{ label: baseLabel, column: col, rows: result.rows }];
    const other = result.compare?.columns.find((c) => c.name === col.name);
    // A column whose type changed cannot share axes; its card says so instead.
    if (other && result.compare && chartKind(other) === chartKind(col)) series.push({ label: cmpLabel, column: other, rows: result.compare.rows });
    return { column: col.name, spec: columnSpec(series, result.compare !== undefined, width, height) };
  });
}

/**
 * A discrete numeric column is drawn as bars over its values, not as a histogram: an integer
 * column with at most this many distinct values (counted exactly), binned one integer per bin
 * (profiling does that when the values span at most 40 integers). E.g. plurality (1, 2, 3).
 */
export const MAX_DISCRETE_VALUES = 20;

export function isDiscrete(c: ColumnProfile): boolean {
  const e = c.histogram?.edges;
  return c.type === 'int' && c.distinctExact && c.distinct <= MAX_DISCRETE_VALUES && !!e && e.length > 1 && e.every((x, i) => i === 0 || x - e[i - 1]! === 1);
}

function chartKind(c: ColumnProfile): string {
  return c.type === 'timestamp' ? 'time' : c.type === 'int' || c.type === 'float' ? 'number' : 'category';
}

function columnSpec(series: Series[], comparing: boolean, width: number | 'container', height: number): TopLevelSpec {
  const base = series[0]!.column;
  const labels = series.map((s) => s.label);
  const color = comparing
    ? { field: 'dataset', type: 'nominal' as const, scale: { domain: labels, range: [...DATASET_COLORS] }, legend: null }
    : { value: DATASET_COLORS[0] };
  const measure = comparing ? 'share' : 'count';
  const measureAxis = { title: comparing ? 'share of values' : 'count', format: comparing ? '.0%' : '~s' };
  const common = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json' as const,
    width,
    height,
    autosize: { type: 'fit' as const, contains: 'padding' as const },
    background: 'transparent',
    description: `Distribution of ${base.name}`,
  };

  if (base.histogram && series.every((s) => !s.column.histogram || isDiscrete(s.column))) {
    const values = series.flatMap((s) => {
      const h = s.column.histogram;
      if (!h) return [];
      const total = h.counts.reduce((a, b) => a + b, 0) || 1;
      // A unit bin [v - 0.5, v + 0.5) holds the integer v.
      return h.counts.map((count, i) => ({ dataset: s.label, value: h.edges[i]! + 0.5, count, share: count / total }));
    });
    return {
      ...common,
      data: { values },
      mark: { type: 'bar', opacity: 0.9 },
      encoding: {
        // Every other label hides when they would collide (many values in a narrow card).
        x: { field: 'value', type: 'ordinal', title: base.name, axis: { labelAngle: 0, labelOverlap: 'parity' } },
        ...(comparing ? { xOffset: { field: 'dataset', type: 'nominal', scale: { domain: labels } } } : {}),
        y: { field: measure, type: 'quantitative', axis: measureAxis },
        color,
        tooltip: [
          { field: 'dataset', type: 'nominal' },
          { field: 'value', type: 'ordinal' },
          { field: 'count', type: 'quantitative', format: ',' },
          { field: 'share', type: 'quantitative', format: '.1%' },
        ],
      },
    } as TopLevelSpec;
  }

  if (base.histogram) {
    const temporal = base.type === 'timestamp';
    const values = series.flatMap((s) => {
      const h = s.column.histogram;
      if (!h) return [];
      const total = h.counts.reduce((a, b) => a + b, 0) || 1;
      return h.counts.map((count, i) => ({
        dataset: s.label,
        start: h.edges[i],
        end: h.edges[i + 1],
        count,
        share: count / total,
      }));
    });
    return {
      ...common,
      data: { values },
      mark: { type: 'bar', opacity: comparing ? 0.55 : 0.9, binSpacing: 0 },
      encoding: {
        x: { field: 'start', type: temporal ? 'temporal' : 'quantitative', bin: { binned: true }, title: base.name, axis: { labelOverlap: true } },
        x2: { field: 'end' },
        y: { field: measure, type: 'quantitative', stack: null, axis: measureAxis },
        color,
        tooltip: [
          { field: 'dataset', type: 'nominal' },
          { field: 'start', type: temporal ? 'temporal' : 'quantitative', title: 'from' },
          { field: 'end', type: temporal ? 'temporal' : 'quantitative', title: 'to' },
          { field: 'count', type: 'quantitative', format: ',' },
          { field: 'share', type: 'quantitative', format: '.1%' },
        ],
      },
    } as TopLevelSpec;
  }

  const values = series.flatMap((s) => {
    const total = s.column.count || 1;
    return (s.column.top ?? []).map((t) => ({ dataset: s.label, value: t.value, count: t.count, share: t.count / total }));
  });
  // Categories in the base dataset's order, then the ones only the compared dataset has.
  const order = [...new Set(values.map((v) => v.value))];
  return {
    ...common,
    height: Math.max(70, order.length * (comparing ? 24 : 18)),
    data: { values },
    mark: { type: 'bar', opacity: 0.9 },
    encoding: {
      y: { field: 'value', type: 'nominal', sort: order, title: null, axis: { labelLimit: 120 } },
      ...(comparing ? { yOffset: { field: 'dataset', type: 'nominal', scale: { domain: labels } } } : {}),
      x: { field: measure, type: 'quantitative', axis: measureAxis },
      color,
      tooltip: [
        { field: 'dataset', type: 'nominal' },
        { field: 'value', type: 'nominal' },
        { field: 'count', type: 'quantitative', format: ',' },
        { field: 'share', type: 'quantitative', format: '.1%' },
      ],
    },
  } as TopLevelSpec;
}
