/** `prodml check leakage`, `prodml check importance` and `prodml check labels`: the adaptable-system checks from the terminal and CI. */
import type { Command } from 'commander';
import * as ops from '../core/ops';
import type { ImportanceReport, LabelReport, LeakageReport } from '../core/ops/types';
import { badInput } from '../core/ops/format';
import { action, EXIT, withCancel, workspaceOf, workspaceOption } from './run';

export function registerCheckCommand(program: Command): void {
  const check = program.command('check').description('Checks of an adaptable ML system: leakage, what each feature is worth against its cost, label consistency');
  check
    .command('leakage')
    .description('Features that predict the label alone, rows on both sides of the split, groups that straddle it (exit 1 on a leak)')
    .argument('[model]', 'the prodml.yaml model (default: the only one); model:3 or model@alias picks the version single features are compared with (default: the served one)')
    .option('--group <column...>', 'columns whose rows belong together (authors, patients): checked for straddling whatever the split')
    .option('--json', 'print the report as one JSON document');
  workspaceOption(check.commands.at(-1)!).action(action(leakageCommand));
  check
    .command('importance')
    .description("Permutation importance of each feature on the held-out split, beside its cost (missing rate, source); --leave-one-out also retrains without each")
    .argument('[model]', 'the prodml.yaml model (default: the only one); model:3 or model@alias picks the version (default: the served one, else the newest)')
    .option('--repeats <n>', 'shuffles per feature', (v) => Number.parseInt(v, 10), 5)
    .option('--leave-one-out', 'also retrain the model without each feature (one training run per feature and seed)')
    .option('--seeds <n>', 'training seeds of the leave-one-out runs (their spread enters the interval)', (v) => Number.parseInt(v, 10), 3)
    .option('--json', 'print the report as one JSON document');
  workspaceOption(check.commands.at(-1)!).action(action(importanceCommand));
  check
    .command('labels')
    .description("Rows equal after the model's transforms with conflicting labels, near-duplicates, and an estimate of label noise (exit 1 on conflicts)")
    .argument('[model]', 'the prodml.yaml model (default: the only one); model:3 or model@alias picks the version whose transforms are used (default: the served one, else fitted now)')
    .option('--tolerance <x>', 'near-duplicates: transformed values equal once rounded to this grid (standardized features: standard deviations)', (v) => Number(v), 0.05)
    .option('--label-tolerance <x>', "regression: a label further than this from its group's median conflicts (default: 4 × the within-group sd)", (v) => Number(v))
    .option('--json', 'print the report as one JSON document');
  workspaceOption(check.commands.at(-1)!).action(action(labelsCommand));
}

export async function labelsCommand(spec: string | undefined, opts: { tolerance: number; labelTolerance?: number; workspace?: string; json?: boolean }): Promise<number> {
  if (!(opts.tolerance > 0)) throw badInput(undefined, '--tolerance: give a positive number (e.g. 0.05)');
  if (opts.labelTolerance !== undefined && !(opts.labelTolerance >= 0)) throw badInput(undefined, '--label-tolerance: give a number at or above 0');
  const ws = await workspaceOf(opts);
  const r = await withCancel(opts, (ctx) => ops.labelConsistency(ws, { ...(spec !== undefined ? { model: spec } : {}), tolerance: opts.tolerance, ...(opts.labelTolerance !== undefined ? { labelTolerance: opts.labelTolerance } : {}) }, ctx));
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else process.stdout.write(labelsText(r));
  return r.groups > 0 ? EXIT.failed : EXIT.ok;
}

export async function leakageCommand(spec: string | undefined, opts: { group?: string[]; workspace?: string; json?: boolean }): Promise<number> {
  const ws = await workspaceOf(opts);
  const r = await withCancel(opts, (ctx) => ops.leakage(ws, { ...(spec !== undefined ? { model: spec } : {}), ...(opts.group ? { groupColumns: opts.group } : {}) }, ctx));
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else process.stdout.write(leakageText(r));
  return r.leak ? EXIT.failed : EXIT.ok;
}

export async function importanceCommand(spec: string | undefined, opts: { repeats: number; seeds?: number; leaveOneOut?: boolean; workspace?: string; json?: boolean }): Promise<number> {
  if (!Number.isInteger(opts.repeats)) throw badInput(undefined, '--repeats: give a whole number of shuffles (e.g. 5)');
  const ws = await workspaceOf(opts);
  const r = await withCancel(opts, (ctx) => ops.importance(ws, { ...(spec !== undefined ? { model: spec } : {}), repeats: opts.repeats, leaveOneOut: opts.leaveOneOut === true, ...(opts.seeds !== undefined ? { seeds: opts.seeds } : {}) }, ctx));
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else process.stdout.write(importanceText(r));
  return EXIT.ok;
}

const f3 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3));

function table(header: string[], rows: string[][], left: Set<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function leakageText(r: LeakageReport): string {
  const lines = [`${r.model}: leakage check on ${r.data} (${r.split}; ${r.rows.train.toLocaleString('en-US')} training, ${r.rows.eval.toLocaleString('en-US')} held-out rows)`];
  const measure = r.single_feature[0]?.measure ?? '';
  if (r.model_score) lines.push(`${r.model}:${r.version} on the held-out rows: ${measure} ${f3(r.model_score.score)}`);
  lines.push(`Every feature together (ridge on the transforms): ${measure} ${f3(r.together)}`);
  const time = r.single_feature.some((s) => s.alone_time_split !== undefined);
  const groupCols = [...new Set(r.single_feature.flatMap((s) => (s.alone_group_split ?? []).map((g) => g.column)))];
  const known = r.single_feature.some((s) => s.known_after_event);
  const header = ['feature', `${measure} alone`, 'the rest together', ...(time ? [`alone, time split (${r.time_column})`] : []), ...groupCols.map((c) => `alone, split by ${c}`), ...(known ? ['known after event'] : []), 'verdict'];
  const rows = r.single_feature.map((s) => [
    s.feature,
    f3(s.alone),
    f3(s.rest),
    ...(time ? [f3(s.alone_time_split)] : []),
    ...groupCols.map((c) => f3(s.alone_group_split?.find((g) => g.column === c)?.score)),
    ...(known ? [s.known_after_event ? `${s.known_after_event.rows}/${s.known_after_event.of}` : '-'] : []),
    s.verdict,
  ]);
  lines.push('', ...table(header, rows, new Set([0, header.length - 1])));
  lines.push(
    '',
    `alone: held-out ${measure} of the feature by itself (the better of a per-value lookup and a linear fit, fitted on the training rows); the rest together: a ridge fit on every other feature.`,
    ...(time || groupCols.length ? [`under a time or group split: the same lookup on the same rows split that way; a leak's skill collapses there, an honest feature's holds.`] : []),
    ...(known ? ['known after event: rows whose known_at lies after the event time, of rows with both.'] : []),
  );
  lines.push('', `Rows on both sides of the split: ${r.duplicates.eval_rows} held-out rows share features and label with a training row (${r.duplicates.whole_record_eval_rows} equal in every column).`);
  for (const g of r.groups) lines.push(`Groups of ${g.column} (${g.why}): ${g.straddling} of ${g.groups} on both sides.`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push('');
  if (r.findings.length === 0) lines.push('No leakage found.');
  const mark = { error: '✗', warning: '!', info: 'i' } as const;
  for (const f of r.findings) lines.push(`${mark[f.severity]} ${f.location ? `prodml.yaml:${f.location.line}: ` : ''}${f.message}`);
  if (r.findings.length > 0) lines.push('', r.leak ? 'Leak found.' : r.findings.some((f) => f.severity === 'warning') ? 'No leak; warnings to look at.' : 'No leak.');
  return lines.join('\n') + '\n';
}

export function importanceText(r: ImportanceReport): string {
  const lines = [`${r.model}:${r.version}: ${r.metric} ${f3(r.base)} on ${r.data} (${r.rows.toLocaleString('en-US')} rows); drop when each feature is shuffled, ${r.repeats} times, with a 95% interval from ${r.bootstrap} bootstrap resamples of the held-out rows`];
  lines.push(`A feature must clear a drop of ${r.threshold.toPrecision(3)} to be worth its cost; a verdict only where the interval lies wholly above or below it.`);
  if (r.leave_one_out) lines.push(`Retrained with every feature (${r.leave_one_out.backend}, seeds ${r.leave_one_out.seeds.join(', ')}): ${r.metric} ${f3(r.leave_one_out.full)}`);
  const rows = r.features.map((f) => [
    f.feature,
    f3(f.importance),
    `[${f3(f.ci_low)}, ${f3(f.ci_high)}]`,
    ...(r.leave_one_out ? [f.leave_one_out ? `${f3(f.leave_one_out.drop)} [${f3(f.leave_one_out.ci_low)}, ${f3(f.leave_one_out.ci_high)}]` : '-'] : []),
    `${(100 * f.cost.missing_rate).toFixed(1)}%`,
    f.cost.cost === undefined ? '-' : String(f.cost.cost),
    f.cost.source ?? f.cost.dataset,
    f.verdict + (f.rows_to_decide ? ` (~${f.rows_to_decide.toLocaleString('en-US')} rows would decide)` : ''),
  ]);
  const header = ['feature', 'importance', '95% interval', ...(r.leave_one_out ? ['retrained without [95%]'] : []), 'missing', 'cost', 'source', 'verdict'];
  lines.push('', ...table(header, rows, new Set([0, header.length - 2, header.length - 1])));
  if (r.groups.length) {
    lines.push('', `Correlated inputs (|r| ≥ ${r.correlation}) shuffled together:`);
    for (const g of r.groups) lines.push(`  ${g.name}: ${f3(g.importance)} [${f3(g.ci_low)}, ${f3(g.ci_high)}] ${g.verdict}`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  const flagged = r.features.filter((f) => f.verdict === 'not worth its cost');
  if (flagged.length > 0) lines.push('', ...flagged.map((f) => `! ${f.location ? `prodml.yaml:${f.location.line}: ` : ''}${f.note}`));
  return lines.join('\n') + '\n';
}

export function labelsText(r: LabelReport): string {
  const at = (l: { file: string; line?: number }) => (l.line ? `${l.file}:${l.line}` : l.file);
  const lines = [`${r.model}: label consistency of ${r.rows_checked.toLocaleString('en-US')} rows of ${r.data} (transforms: ${r.transforms})`];
  lines.push(`${r.groups} group${r.groups === 1 ? '' : 's'} of identical inputs with conflicting labels (${r.rows} rows)${r.label_tolerance !== undefined ? `; a label conflicts when further than ${r.label_tolerance.toPrecision(3)} from its group's median` : ''}.`);
  const labelsOf = (c: LabelReport['conflicts'][number]) => {
    if (r.label_tolerance === undefined) return Object.entries(c.counts).map(([l, n]) => `${l} ×${n}`).join(', ');
    const v = c.labels.map(Number).sort((a, b) => a - b);
    return `${c.labels.length} rows, labels ${v[0]} to ${v[v.length - 1]} (median ${v[Math.floor((v.length - 1) / 2)]})`;
  };
  for (const c of r.conflicts.slice(0, 20)) lines.push(`  ${labelsOf(c)}: ${c.lines.slice(0, 6).map(at).join(', ')}${c.lines.length > 6 ? ', …' : ''}`);
  if (r.conflicts.length > 20) lines.push(`  … and ${r.conflicts.length - 20} more (--json lists them all)`);
  lines.push(`${r.near_duplicates.groups} more group${r.near_duplicates.groups === 1 ? '' : 's'} of near-duplicates (values within ${r.near_duplicates.tolerance} after the transforms) with conflicting labels (${r.near_duplicates.rows} rows).`);
  const n = r.noise;
  if (n.label_noise !== undefined) lines.push(`Label noise: ${(100 * n.disagreement!).toFixed(1)}% of ${n.pairs} pairs of identical inputs disagree: a flip rate of at most ${(100 * n.label_noise).toFixed(1)}%. ${n.note}`);
  else if (n.within_sd !== undefined && Number.isFinite(n.within_sd)) lines.push(`Label spread within identical inputs: sd ${n.within_sd.toPrecision(3)} over ${n.duplicated_rows} rows. ${n.note}`);
  else lines.push('No two rows have identical inputs: label noise cannot be estimated this way.');
  for (const note of r.notes) lines.push(`note: ${note}`);
  return lines.join('\n') + '\n';
}
