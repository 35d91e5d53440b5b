/**
 * The Monitoring dashboard's page, built from `monitorModel`'s report: alerts first, then the
 * charts (Vega-Lite, src/core/report/monitorCharts.ts), then a table per window.
 */
import { activeAlerts, type MonitorReport } from '../monitor';
import { metricLabel } from './format';
import { locateKey } from '../schema/io';
import { defaultMetric, monitorCharts } from './monitorCharts';
import type { ReportSection } from './reportSection';
import { specJson, type VegaLiteSpec } from './vegaSpec';

export interface MonitorPage {
  note: string;
  sections: ReportSection[];
  alerts: { id: string; text: string }[];
  line: number;
}

export function monitorPage(r: MonitorReport, prodmlYaml: string | undefined): MonitorPage {
  const charts = monitorCharts(r);
  const metric = defaultMetric(r);
  const sections: ReportSection[] = [];
  const active = activeAlerts(r.alerts);
  const resolved = r.alerts.filter((a) => a.status === 'resolved');
  const alerted = new Set(active.map((a) => a.window));
  sections.push({
    title: active.length ? `${active.length} alert${active.length === 1 ? '' : 's'}` : resolved.length ? 'No active alerts' : 'No alerts',
    note: active.length ? undefined : resolved.length ? 'The windows of the version that serves now are within their thresholds.' : 'Every window is within its thresholds.',
    alerts: active.map((a) => ({ severity: 'error' as const, text: a.message })),
  });
  if (resolved.length) {
    sections.push({
      title: `${resolved.length} resolved alert${resolved.length === 1 ? '' : 's'}`,
      note: 'Alerts on windows a version served that no longer serves: resolved by the rollback or promotion that replaced it.',
      table: {
        columns: ['window', 'version', 'alert', 'resolved', 'by'],
        rows: resolved.map((a) => [a.window, a.version ?? null, a.message.replace(/^[^:]+: /, ''), a.resolved!.at.slice(0, 16).replace('T', ' ') + ' UTC', a.resolved!.description.replace(/ on \d{4}-.*? UTC/, '')]),
        marks: resolved.map(() => 'good' as const),
      },
    });
  }
  const chartList: { title: string; spec: Record<string, unknown> }[] = [];
  const add = (title: string, spec: VegaLiteSpec | undefined) => spec && chartList.push({ title, spec: specJson(spec) });
  if (charts.metric && metric) add(`${metricLabel(metric)} per window (labelled predictions)`, charts.metric);
  add('Input and prediction drift against the training data (value ÷ threshold; ! = alert)', charts.drift);
  if (charts.predictions) add('Predictions per window', charts.predictions);
  if (charts.residualsOverTime) add('Residuals over time (label − prediction)', charts.residualsOverTime);
  if (charts.residualsByInput) add('Residuals by input (binned)', charts.residualsByInput);
  sections.push({ title: 'Over time', note: r.markers.length ? `Version changes: ${r.markers.map((m) => m.description).join('; ')}` : undefined, charts: chartList });
  const metricNames = [...new Set(r.windows.flatMap((w) => Object.keys(w.metrics ?? {})))];
  sections.push({
    title: 'Windows',
    table: {
      columns: ['window', 'served', 'labelled', 'versions', ...metricNames.map(metricLabel), 'drift alerts'],
      rows: r.windows.map((w) => [
        w.window,
        w.count,
        w.labelled,
        w.versions.map((v) => `${v.version} (${v.count})`).join(', '),
        ...metricNames.map((m) => w.metrics?.[m] ?? null),
        w.drift.filter((d) => d.alert).map((d) => d.feature).join(', ') || (w.small ? 'too few rows to judge' : 'none'),
      ]),
      marks: r.windows.map((w) => (alerted.has(w.window) ? 'bad' : 'none')),
    },
  });
  sections.push({
    title: 'Thresholds',
    table: {
      columns: ['statistic', 'feature or metric', 'kind', 'max', 'reference mean ± σ'],
      rows: r.thresholds.map((t) => [t.statistic, t.feature ?? t.metric ?? '', t.kind, t.max ?? t.min ?? null, t.reference ? `${t.reference.mean.toFixed(3)} ± ${t.reference.std.toFixed(3)} over ${t.reference.windows} windows${t.reference.scale && t.reference.scale !== 'linear' ? ` (3σ on the ${t.reference.scale} scale)` : ''}` : (t.note ?? '')]),
    },
  });
  const note = `${r.log.served.toLocaleString('en-US')} served predictions (${r.log.labelled.toLocaleString('en-US')} labelled) in ${r.windows.length} windows of ${typeof r.window === 'string' ? r.window : `${r.window.requests} requests`} by ${r.time_column}${r.log.skipped_lines ? `; ${r.log.skipped_lines} unreadable log lines skipped` : ''}${r.notes.length ? `. ${r.notes.join(' ')}` : ''}`;
  let line = 0;
  if (prodmlYaml) {
    for (const p of [['models', r.model, 'monitoring'], ['models', r.model]]) {
      const at = locateKey(prodmlYaml, p);
      if (at) {
        line = Math.max(0, at.line - 1);
        break;
      }
    }
  }
  // Only active alerts become Problems entries and notifications; resolved ones leave the Problems panel.
  return { note, sections, alerts: active.map((a) => ({ id: `${a.window}|${a.feature ?? a.metric ?? ''}|${a.statistic}`, text: a.message })), line };
}
