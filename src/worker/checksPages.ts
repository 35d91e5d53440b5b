/** Pages for the adaptable-system checks: feature value vs cost, and leakage findings. */
import type { ImportanceReport, LeakageReport } from '../core/checks';
import { importanceChart } from '../core/report/importanceCharts';
import type { ReportSection } from '../protocol/reportMessages';

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

export function importancePage(r: ImportanceReport): { note: string; sections: ReportSection[] } {
  const flagged = r.features.filter((f) => f.not_worth_it);
  const sections: ReportSection[] = [
    {
      title: flagged.length ? `${flagged.length} feature${flagged.length === 1 ? '' : 's'} not worth ${flagged.length === 1 ? 'its' : 'their'} cost` : 'Every costly feature earns its keep',
      alerts: flagged.map((f) => ({ severity: 'warning' as const, text: `${f.feature}: ${f.note}` })),
      charts: [{ title: `Drop in ${r.metric} when the feature is shuffled${r.leave_one_out ? ' (◆ when the model is retrained without it)' : ''}, and its cost`, spec: importanceChart(r) as unknown as Record<string, unknown> }],
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
  const time = r.single_feature.some((s) => s.alone_time_split !== undefined);
  const groupCols = [...new Set(r.single_feature.flatMap((s) => (s.alone_group_split ?? []).map((g) => g.column)))];
  const known = r.single_feature.some((s) => s.known_after_event);
  const sections: ReportSection[] = [
    {
      title: r.findings.length ? `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}` : 'No leakage found',
      alerts: r.findings.map((f) => ({ severity: f.severity, text: f.message })),
    },
    {
      title: 'Each feature alone, and the rest without it',
      note: `Held-out ${r.single_feature[0]?.measure ?? 'score'}: "alone" is the better of a per-value lookup and a linear fit on that feature, fitted on the training split; "the rest together" is a ridge fit on every other feature (all together: ${r.together.toFixed(3)})${r.model_score ? `; the model ${r.model}:${r.version} scores ${r.model_score.score.toFixed(3)}` : ''}. A leak is near-perfect alone and beyond the rest, or collapses under a time or group split, or is known after the label's event.`,
      table: {
        columns: ['feature', 'alone', 'the rest together', ...(time ? [`alone, time split (${r.time_column})`] : []), ...groupCols.map((c) => `alone, split by ${c}`), ...(known ? ['known after event'] : []), 'verdict'],
        rows: r.single_feature.map((s) => [
          s.feature,
          s.alone,
          s.rest,
          ...(time ? [s.alone_time_split ?? null] : []),
          ...groupCols.map((c) => s.alone_group_split?.find((g) => g.column === c)?.score ?? null),
          ...(known ? [s.known_after_event ? `${s.known_after_event.rows} of ${s.known_after_event.of}` : null] : []),
          s.verdict,
        ]),
        marks: r.single_feature.map((s) => (s.verdict === 'leak' ? 'bad' : 'none')),
      },
    },
  ];
  return { note: `${r.model}: ${r.rows.train.toLocaleString('en-US')} training and ${r.rows.eval.toLocaleString('en-US')} held-out rows of ${r.data} (${r.split}).`, sections, findings: r.findings };
}
