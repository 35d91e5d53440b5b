import type { Command } from 'commander';
import * as ops from '../core/ops';
import { fmtNum } from '../core/ops/format';
import { action, withCancel, workspaceOf, workspaceOption } from './run';

export function registerEvaluateCommand(program: Command): void {
  workspaceOption(
    program
    .command('evaluate')
    .description('Evaluate a registered model version on a dataset, next to the naive baseline')
    .argument('<model>', '<model>:<version>, <model>@<alias> or <model> (the latest version)')
    .requiredOption('--data <data>', 'data with the label column (file or glob, or a dataset name from prodml.yaml)')
    .option('--slice <column...>', 'report every metric per value of these columns')
    .option('--json', 'print the evaluation as one JSON document'),
  ).action(action(evaluateCommand));
}

export async function evaluateCommand(spec: string, opts: { data: string; slice?: string[]; workspace?: string; json?: boolean }): Promise<number> {
  const ws = await workspaceOf(opts);
  const { version, data, report } = await withCancel({ bar: false }, (ctx) => ops.evaluate(ws, { model: spec, data: opts.data, ...(opts.slice ? { slices: opts.slice } : {}) }, ctx));
  const model = version.model;
  {
    if (opts.json) {
      process.stdout.write(JSON.stringify({ model, version: version.version, data, rows: report.rows, metrics: report.overall.metrics, baseline: report.baseline.metrics, slices: report.slices }, null, 2) + '\n');
      return 0;
    }
    const lines = [`${model}:${version.version} on ${data} (${report.rows.toLocaleString('en-US')} rows)`, '', `${'metric'.padEnd(14)} ${'model'.padStart(10)} ${'baseline'.padStart(10)}`];
    for (const c of report.comparison) lines.push(`${c.metric.padEnd(14)} ${fmtNum(c.model).padStart(10)} ${fmtNum(c.baseline).padStart(10)}`);
    lines.push(`(naive baseline fitted on this data: ${report.baseline.description})`);
    for (const col of report.slices) {
      lines.push('', `by ${col.column}:`);
      for (const s of col.slices) {
        const key = Object.entries(s.evaluation?.metrics ?? {})[0];
        lines.push(`  ${String(s.value).padEnd(16)} ${String(s.rows).padStart(7)} rows  ${key ? `${key[0]} ${fmtNum(key[1] as number)}` : ''}${s.small ? '  (few rows)' : ''}`);
      }
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  }
}
