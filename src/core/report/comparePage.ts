/**
 * The version comparison page: each metric for both versions with its delta and the better one,
 * then per slice, with the charts of src/core/report/compareCharts.ts.
 */
import type { VersionComparison } from '../evaluate/compareVersions';
import { compareMetricsChart, compareSliceDeltaChart } from './compareCharts';
import type { ReportSection } from './reportSection';
import { metricLabel } from './format';
import { specJson } from './vegaSpec';

const num = (v: number) => (Number.isFinite(v) ? v : null);

export function comparePage(c: VersionComparison, notes: string[]): { note: string; sections: ReportSection[] } {
  const label = (s: VersionComparison['a']) => `${s.version}${s.aliases.length ? ` (${s.aliases.join(', ')})` : ''}`;
  const better = (b: 'a' | 'b' | 'same') => (b === 'same' ? '=' : b === 'a' ? label(c.a) : label(c.b));
  const sections: ReportSection[] = [
    {
      title: 'Metrics',
      note: `Both versions scored on ${c.rows.toLocaleString('en-US')} rows of ${c.data}, each with its own saved transforms. Delta is ${c.b.version} − ${c.a.version}.`,
      alerts: notes.map((n) => ({ severity: 'warning' as const, text: n })),
      table: {
        columns: ['metric', `version ${label(c.a)}`, `version ${label(c.b)}`, 'delta', 'better'],
        rows: c.metrics.map((m) => [metricLabel(m.metric), num(m.a), num(m.b), num(m.delta), better(m.better)]),
        marks: c.metrics.map((m) => (m.better === 'b' ? 'good' : m.better === 'a' ? 'bad' : 'none')),
      },
      charts: [{ title: 'Each metric, side by side', spec: specJson(compareMetricsChart(c)) }],
    },
  ];
  if (c.slices.length > 0) {
    const key = c.key_metric;
    const name = metricLabel(key);
    sections.push({
      title: `Per slice: ${name}`,
      note: `Slices with too few rows to judge are marked small.`,
      table: {
        columns: ['slice', 'rows', `${name} ${c.a.version}`, `${name} ${c.b.version}`, 'delta', 'better'],
        rows: c.slices.map((s) => {
          const m = s.metrics.find((x) => x.metric === key);
          return [`${s.slice} = ${s.value ?? '(missing)'}${s.small ? ' (small)' : ''}`, s.rows, num(m?.a ?? NaN), num(m?.b ?? NaN), num(m?.delta ?? NaN), m ? better(m.better) : null];
        }),
        marks: c.slices.map((s) => {
          const m = s.metrics.find((x) => x.metric === key);
          return !m || s.small ? 'none' : m.better === 'b' ? 'good' : m.better === 'a' ? 'bad' : 'none';
        }),
      },
      charts: [{ title: `${key}: ${c.b.version} − ${c.a.version} per slice`, spec: compareSliceDeltaChart(c, key) as never }],
    });
  }
  const wins = c.metrics.filter((m) => m.better === 'b').length;
  const losses = c.metrics.filter((m) => m.better === 'a').length;
  return { note: `${c.model}:${c.b.version} is better on ${wins} metric${wins === 1 ? '' : 's'} and worse on ${losses} than ${c.model}:${c.a.version}.`, sections };
}
