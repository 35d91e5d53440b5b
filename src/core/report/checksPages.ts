/** Pages for the adaptable-system checks: feature value vs cost, and leakage findings. */
import type { ImportanceReport, LeakageReport } from '../checks';
import { importanceChart } from './importanceCharts';
import type { ReportSection } from './reportSection';
import { specJson } from './vegaSpec';

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

export function importancePage(r: ImportanceReport): { note: string; sections: ReportSection[] } {
  const flagged = r.features.filter((f) => f.not_worth_it);
  const sections: ReportSection[] = [
    {
      title: flagged.length ? `${flagged.length} feature${flagged.length === 1 ? '' : 's'} not worth ${flagged.length === 1 ? 'its' : 'their'} cost` : 'Every costly feature earns its keep',
      alerts: flagged.map((f) => ({ severity: 'warning' as const, text: `${f.feature}: ${f.note}` })),
      charts: [{ title: `Drop in ${r.metric} when the feature is shuffled${r.leave_one_out ? ' (◆ when the model is retrained without it)' : ''}, and its cost`, spec: specJson(importanceChart(r)) }],
    },
    {
      title: 'Per feature',
      table: {
        columns: ['feature', `${r.metric} drop (shuffled)`, '± sd', ...(r.leave_one_out ? ['drop (retrained without)'] : []), 'missing in training', 'cost / source', 'verdict'],
        rows: r.features.map((f) => [
          f.feature,
          f.permutation.mean,
          f.permutation.sd,
          ...(r.leave_one_out ? [f.leave_one_out?.drop ?? null] : []),
          pct(f.cost.missing_rate),
          [f.cost.cost !== undefined ? `cost ${f.cost.cost}` : '', f.cost.source ?? f.cost.dataset].filter(Boolean).join(' · '),
          f.not_worth_it ? 'not worth its cost' : f.within_noise ? 'within noise' : 'useful',
        ]),
        marks: r.features.map((f) => (f.not_worth_it ? 'bad' : f.within_noise ? 'none' : 'good')),
      },
    },
  ];
  return {
    note: `${r.model}:${r.version} on ${r.rows.toLocaleString('en-US')} held-out rows of ${r.data}: ${r.metric} ${r.base.toPrecision(4)}; each feature shuffled ${r.repeats} times (seed ${r.seed}).${r.notes.length ? ' ' + r.notes.join(' ') : ''}`,
    sections,
  };
}

export function leakagePage(r: LeakageReport): { note: string; sections: ReportSection[]; findings: LeakageReport['findings'] } {
  const sections: ReportSection[] = [
    {
      title: r.findings.length ? `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}` : 'No leakage found',
      alerts: r.findings.map((f) => ({ severity: f.severity, text: f.message })),
    },
    {
      title: 'Each feature alone',
      note: `A one-feature lookup model fitted on the training split, scored on the held-out split (0 = chance, 1 = perfect)${r.model_score ? `; the whole model scores ${r.model_score.skill.toFixed(3)}` : ''}.`,
      table: {
        columns: ['feature', 'measure', 'score', 'skill', 'share of the model'],
        rows: r.single_feature.map((s) => [s.feature, s.measure, s.score, s.skill, s.share_of_model !== undefined ? pct(s.share_of_model) : null]),
        marks: r.single_feature.map((s) => (r.findings.some((f) => f.feature === s.feature && f.severity === 'error') ? 'bad' : 'none')),
      },
    },
  ];
  return { note: `${r.model}: ${r.rows.train.toLocaleString('en-US')} training and ${r.rows.eval.toLocaleString('en-US')} held-out rows of ${r.data} (${r.split}).`, sections, findings: r.findings };
}
