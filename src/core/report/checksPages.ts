/** Pages for the adaptable-system checks: feature value vs cost, leakage findings, label consistency. */
import type { ImportanceReport, LabelReport, LeakageFinding, LeakageReport, LineFinding } from '../checks';
import { importanceChart } from './importanceCharts';
import type { ReportSection } from './reportSection';
import { specJson } from './vegaSpec';

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

/** Problems entries for feature value: each feature without a "worth its cost" verdict, at its entry in prodml.yaml, its interval in the message. */
export function importanceFindings(r: ImportanceReport): LeakageFinding[] {
  return r.features
    .filter((f) => f.verdict !== 'worth its cost' && f.location)
    .map((f) => ({
      kind: 'feature_value' as const,
      severity: f.verdict === 'not worth its cost' ? ('warning' as const) : ('info' as const),
      feature: f.feature,
      value: f.importance,
      threshold: r.threshold,
      message: `${f.feature}: ${f.verdict}. ${f.note}`,
      evidence: f.note,
      alternative: '',
      confirm: '',
      location: f.location!,
    }));
}

export function importancePage(r: ImportanceReport): { note: string; sections: ReportSection[]; findings: LeakageFinding[] } {
  const notWorth = r.features.filter((f) => f.verdict === 'not worth its cost');
  const undecided = r.features.filter((f) => f.verdict === "can't tell with this much data");
  const n = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(3)) : null);
  const sections: ReportSection[] = [
    {
      title: notWorth.length ? `${notWorth.length} feature${notWorth.length === 1 ? '' : 's'} not worth ${notWorth.length === 1 ? 'its' : 'their'} cost` : undecided.length ? `${undecided.length} feature${undecided.length === 1 ? '' : 's'} undecided with this much data` : 'Every feature is worth its cost',
      alerts: [...notWorth.map((f) => ({ severity: 'warning' as const, text: `${f.feature}: ${f.note}` })), ...undecided.map((f) => ({ severity: 'info' as const, text: `${f.feature}: ${f.note}` }))],
      charts: [{ title: `Drop in ${r.metric} when the feature is shuffled, with its 95% interval${r.leave_one_out ? ' (◆ when the model is retrained without it)' : ''}; dashed: the ${r.threshold.toPrecision(3)} a feature must clear`, spec: specJson(importanceChart(r)) }],
    },
    {
      title: 'Per feature',
      note: `A verdict only where the interval allows it: above the threshold (${r.threshold.toPrecision(3)}, ${((100 * r.threshold) / Math.abs(r.base)).toPrecision(2)}% of ${r.metric}) is worth its cost, below it is not; an interval containing it cannot tell. Intervals: ${r.bootstrap} bootstrap resamples of the held-out rows.`,
      table: {
        columns: ['feature', `${r.metric} drop (shuffled)`, '95% low', '95% high', ...(r.leave_one_out ? ['drop (retrained without)', 'its 95% interval'] : []), 'missing in training', 'cost / source', 'verdict'],
        rows: r.features.map((f) => [
          f.feature,
          n(f.importance),
          n(f.ci_low),
          n(f.ci_high),
          ...(r.leave_one_out ? [f.leave_one_out ? n(f.leave_one_out.drop) : null, f.leave_one_out ? `${f.leave_one_out.ci_low.toPrecision(3)} to ${f.leave_one_out.ci_high.toPrecision(3)}` : null] : []),
          pct(f.cost.missing_rate),
          [f.cost.cost !== undefined ? `cost ${f.cost.cost}` : '', f.cost.source ?? f.cost.dataset].filter(Boolean).join(' · '),
          f.verdict + (f.rows_to_decide ? ` (~${f.rows_to_decide.toLocaleString('en-US')} rows would decide)` : ''),
        ]),
        marks: r.features.map((f) => (f.verdict === 'not worth its cost' ? 'bad' : f.verdict === 'worth its cost' ? 'good' : 'none')),
      },
    },
    ...(r.groups.length
      ? [
          {
            title: 'Correlated features shuffled together',
            note: `Inputs correlated at |r| ≥ ${r.correlation} on the held-out rows: shuffled alone, each leaves its twin to carry the signal.`,
            table: {
              columns: ['features', 'min |r|', `${r.metric} drop`, '95% low', '95% high', 'verdict'],
              rows: r.groups.map((g) => [g.name, n(g.min_correlation), n(g.importance), n(g.ci_low), n(g.ci_high), g.verdict]),
              marks: r.groups.map((g) => (g.verdict === 'not worth its cost' ? 'bad' : g.verdict === 'worth its cost' ? 'good' : 'none')),
            },
          },
        ]
      : []),
  ];
  return {
    note: `${r.model}:${r.version} on ${r.rows.toLocaleString('en-US')} held-out rows of ${r.data}: ${r.metric} ${r.base.toPrecision(4)}; each feature shuffled ${r.repeats} times (seed ${r.seed}).${r.notes.length ? ' ' + r.notes.join(' ') : ''}`,
    sections,
    findings: importanceFindings(r),
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


export function labelsPage(r: LabelReport): { note: string; sections: ReportSection[]; findings: LineFinding[] } {
  const findings: LineFinding[] = [];
  const put = (c: LabelReport['conflicts'][number], kind: string) => {
    const counts = Object.entries(c.counts).map(([l, n]) => `${l} ×${n}`).join(', ');
    const values = c.labels.map(Number).sort((a, b) => a - b);
    const median = values.length % 2 ? values[(values.length - 1) / 2]! : (values[values.length / 2 - 1]! + values[values.length / 2]!) / 2;
    c.lines.forEach((at, k) => {
      if (at.line === undefined) return;
      const others = c.lines.filter((_, j) => j !== k).slice(0, 5).map((o) => o.line).join(', ');
      const more = c.lines.length > 6 ? ', …' : '';
      if (r.label_tolerance === undefined) {
        findings.push({ file: at.file, line: at.line, severity: 'warning', message: `${kind} with conflicting labels (${counts}): this row is labelled ${c.labels[k]}; the same inputs are on line${c.lines.length > 2 ? 's' : ''} ${others}${more}.` });
        return;
      }
      // Regression: only the rows far from their group's median conflict; the rest are ordinary noise.
      const y = Number(c.labels[k]);
      if (!(Math.abs(y - median) > r.label_tolerance)) return;
      findings.push({ file: at.file, line: at.line, severity: 'warning', message: `${kind} with a conflicting label: this row is labelled ${c.labels[k]}, ${Math.abs(y - median).toPrecision(3)} from the median ${median} of the ${c.lines.length} rows with the same inputs (more than ${r.label_tolerance.toPrecision(3)}, 4 × the label's spread within identical inputs); they are on lines ${others}${more}.` });
    });
  };
  for (const c of r.conflicts) put(c, 'Identical inputs (after the model\'s transforms)');
  for (const c of r.near_duplicates.conflicts) put(c, `Near-duplicate inputs (within ${r.near_duplicates.tolerance} after the transforms)`);
  const n = r.noise;
  const noiseText =
    n.label_noise !== undefined
      ? `${(100 * n.disagreement!).toFixed(1)}% of ${n.pairs!.toLocaleString('en-US')} pairs of identical inputs disagree: a flip rate of at most ${(100 * n.label_noise).toFixed(1)}%.`
      : n.within_sd !== undefined && Number.isFinite(n.within_sd)
        ? `The label's sd within identical inputs is ${n.within_sd.toPrecision(3)} (${n.duplicated_rows} rows).`
        : 'No two rows have identical inputs: label noise cannot be estimated this way.';
  const table = (cs: LabelReport['conflicts']) => ({
    columns: ['inputs', 'labels', 'lines'],
    rows: cs.slice(0, 200).map((c) => [
      Object.entries(c.values)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(', '),
      Object.entries(c.counts)
        .map(([l, k]) => `${l} ×${k}`)
        .join(', '),
      c.lines.slice(0, 8).map((l) => (l.line ? `${l.file}:${l.line}` : l.file)).join(', ') + (c.lines.length > 8 ? ', …' : ''),
    ]),
  });
  const sections: ReportSection[] = [
    {
      title: r.groups ? `${r.groups} group${r.groups === 1 ? '' : 's'} of identical inputs with conflicting labels (${r.rows} rows)` : 'No identical inputs with conflicting labels',
      note: `${noiseText} ${n.note} What this cannot tell: which label is right, or whether the rows differ in something the model does not see.`,
      ...(r.conflicts.length ? { table: table(r.conflicts) } : {}),
    },
    {
      title: `${r.near_duplicates.groups} more group${r.near_duplicates.groups === 1 ? '' : 's'} of near-duplicates (within ${r.near_duplicates.tolerance}) with conflicting labels`,
      ...(r.near_duplicates.conflicts.length ? { table: table(r.near_duplicates.conflicts) } : {}),
    },
  ];
  return { note: `${r.model}: ${r.rows_checked.toLocaleString('en-US')} rows of ${r.data}; transforms ${r.transforms}.${r.notes.length ? ' ' + r.notes.join(' ') : ''}`, sections, findings };
}
