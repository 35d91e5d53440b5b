/** The tuning study's page: the best trial against the defaults, every trial, the charts. */
import { tuneCharts } from './tuneCharts';
import type { TuneResult } from '../tune';
import type { ReportSection } from './reportSection';
import { specJson } from './vegaSpec';

export function tunePage(r: TuneResult): { note: string; sections: ReportSection[]; study: string; best: number | null } {
  const charts = tuneCharts(r);
  const params = [...new Set(r.trials.flatMap((t) => Object.keys(t.params)))];
  const fmt = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'number' ? Number(v.toPrecision(4)) : v === undefined ? null : String(v));
  const ranked = [...r.trials].sort((a, b) => (a.metric === null ? 1 : b.metric === null ? -1 : r.direction === 'higher' ? b.metric - a.metric : a.metric - b.metric));
  const headline =
    r.best && r.default && r.best.trial !== r.default.trial && r.best.metric !== null && r.default.metric !== null
      ? `Best: trial ${r.best.trial}, validation ${r.metric} ${r.best.metric.toPrecision(4)} against ${r.default.metric.toPrecision(4)} with prodml.yaml's settings`
      : r.best
        ? `Best: trial ${r.best.trial} (${r.best.source === 'default' ? "prodml.yaml's own settings" : 'random'}), validation ${r.metric} ${r.best.metric?.toPrecision(4)}`
        : 'No finished trial yet';
  const sections: ReportSection[] = [
    {
      title: headline,
      note: `Trials run one after another; at epochs ${r.rungs.join(', ')} a trial goes on only in the top third of those that got there (successive halving). The study resumes where it stopped.`,
      charts: [
        { title: `${r.metric} per epoch, each trial (early-stopped trials end at a rung)`, spec: specJson(charts.epochs) },
        { title: 'Each setting against the metric', spec: specJson(charts.params) },
        { title: 'Parallel coordinates', spec: specJson(charts.parallel) },
      ],
    },
    {
      title: 'Trials',
      table: {
        columns: ['trial', r.metric, 'status', 'epochs', ...params, 'seconds'],
        rows: ranked.map((t) => [`${t.trial}${t.source === 'default' ? ' (prodml.yaml)' : ''}`, t.metric, t.status, t.epochs.length, ...params.map((p) => fmt(t.params[p as keyof typeof t.params])), Number(t.seconds.toFixed(1))]),
        marks: ranked.map((t) => (t.trial === r.best?.trial ? 'good' : t.status === 'failed' ? 'bad' : 'none')),
      },
    },
  ];
  return {
    note: `${r.model}: study ${r.study}, ${r.trials.length} trials (${r.trained} trained now) on ${r.rows.train.toLocaleString('en-US')} training and ${r.rows.validation.toLocaleString('en-US')} validation rows, ${r.direction} ${r.metric} is better.`,
    sections,
    study: r.study,
    best: r.best?.trial ?? null,
  };
}
