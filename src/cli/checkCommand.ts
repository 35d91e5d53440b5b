/** `prodml check leakage` and `prodml check importance`: the adaptable-system checks from the terminal and CI. */
import type { Command } from 'commander';
import * as ops from '../core/ops';
import type { ImportanceReport, LeakageReport } from '../core/ops/types';
import { badInput } from '../core/ops/format';
import { action, EXIT, withCancel, workspaceOf, workspaceOption } from './run';

export function registerCheckCommand(program: Command): void {
  const check = program.command('check').description('Checks of an adaptable ML system: leakage, and what each feature is worth against its cost');
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
    .option('--leave-one-out', 'also retrain the model without each feature (one training run per feature)')
    .option('--json', 'print the report as one JSON document');
  workspaceOption(check.commands.at(-1)!).action(action(importanceCommand));
}

export async function leakageCommand(spec: string | undefined, opts: { group?: string[]; workspace?: string; json?: boolean }): Promise<number> {
  const ws = await workspaceOf(opts);
  const r = await withCancel(opts, (ctx) => ops.leakage(ws, { ...(spec !== undefined ? { model: spec } : {}), ...(opts.group ? { groupColumns: opts.group } : {}) }, ctx));
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else process.stdout.write(leakageText(r));
  return r.leak ? EXIT.failed : EXIT.ok;
}

export async function importanceCommand(spec: string | undefined, opts: { repeats: number; leaveOneOut?: boolean; workspace?: string; json?: boolean }): Promise<number> {
  if (!Number.isInteger(opts.repeats)) throw badInput(undefined, '--repeats: give a whole number of shuffles (e.g. 5)');
  const ws = await workspaceOf(opts);
  const r = await withCancel(opts, (ctx) => ops.importance(ws, { ...(spec !== undefined ? { model: spec } : {}), repeats: opts.repeats, leaveOneOut: opts.leaveOneOut === true }, ctx));
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
  if (r.model_score) lines.push(`${r.model}:${r.version} on the held-out rows: ${measure} ${f3(r.model_score.score)} (skill ${f3(r.model_score.skill)})`);
  lines.push('', ...table(['feature', `${measure} alone`, 'skill', 'share of model'], r.single_feature.map((s) => [s.feature, f3(s.score), f3(s.skill), s.share_of_model === undefined ? '-' : `${(100 * s.share_of_model).toFixed(0)}%`]), new Set([0])));
  lines.push('', `Rows on both sides of the split: ${r.duplicates.eval_rows} held-out rows share features and label with a training row (${r.duplicates.whole_record_eval_rows} equal in every column).`);
  for (const g of r.groups) lines.push(`Groups of ${g.column} (${g.why}): ${g.straddling} of ${g.groups} on both sides.`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push('');
  if (r.findings.length === 0) lines.push('No leakage found.');
  for (const f of r.findings) lines.push(`${f.severity === 'error' ? '✗' : '!'} ${f.location ? `prodml.yaml:${f.location.line}: ` : ''}${f.message}`);
  if (r.findings.length > 0) lines.push('', r.leak ? 'Leak found.' : 'No leak; warnings to look at.');
  return lines.join('\n') + '\n';
}

export function importanceText(r: ImportanceReport): string {
  const lines = [`${r.model}:${r.version}: ${r.metric} ${f3(r.base)} on ${r.data} (${r.rows.toLocaleString('en-US')} rows); drop when each feature is shuffled, ${r.repeats} times`];
  if (r.leave_one_out) lines.push(`Retrained with every feature (${r.leave_one_out.backend}): ${r.metric} ${f3(r.leave_one_out.full)}`);
  const rows = r.features.map((f) => [
    f.feature,
    `${f3(f.permutation.mean)} ± ${f3(f.permutation.sd)}`,
    ...(r.leave_one_out ? [f3(f.leave_one_out?.drop)] : []),
    `${(100 * f.cost.missing_rate).toFixed(1)}%`,
    f.cost.cost === undefined ? '-' : String(f.cost.cost),
    f.cost.source ?? f.cost.dataset,
    f.not_worth_it ? 'not worth its cost' : f.within_noise ? 'within noise' : '',
  ]);
  lines.push('', ...table(['feature', 'permutation drop', ...(r.leave_one_out ? ['leave-one-out drop'] : []), 'missing', 'cost', 'source', ''], rows, new Set([0, r.leave_one_out ? 5 : 4, r.leave_one_out ? 6 : 5])));
  for (const n of r.notes) lines.push(`note: ${n}`);
  const flagged = r.features.filter((f) => f.not_worth_it);
  if (flagged.length > 0) lines.push('', ...flagged.map((f) => `! ${f.location ? `prodml.yaml:${f.location.line}: ` : ''}${f.note}`));
  return lines.join('\n') + '\n';
}
