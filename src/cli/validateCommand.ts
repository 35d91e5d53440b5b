import { InvalidArgumentError, Option, type Command } from 'commander';
import * as ops from '../core/ops';
import type { Anomaly, ValidationResult } from '../core/ops/types';
import { DEFAULT_MAX_ROW_DIAGNOSTICS, hasErrors, isRowLevel, SERVING, TRAINING } from '../core/ops/format';
import { action, EXIT, withCancel, workspaceOf, workspaceOption } from './run';

export type ValidateFormat = 'text' | 'json' | 'sarif';

export interface ValidateCommandOptions {
  /** Required for files; a dataset name's own schema: is the default. */
  schema?: string;
  baseline?: string;
  environment?: string;
  format: ValidateFormat;
  maxRowDiagnostics: number;
  workspace?: string;
}

export function registerValidateCommand(program: Command): void {
  workspaceOption(
    program
    .command('validate')
    .description('Validate a batch of data against its schema; exit 1 when an error-severity anomaly is found')
    .argument('<data>', 'data file or glob, or a dataset name from prodml.yaml')
    .option('--schema <file.schema.yaml>', "the schema to validate against (default for a dataset name: the dataset's schema)")
    .option('--baseline <data>', 'the previous span (drift), or the training data with --environment SERVING (skew)')
    .option('--environment <env>', 'TRAINING or SERVING: which features are expected', (v: string) => {
      const env = v.toUpperCase();
      if (env !== TRAINING && env !== SERVING) throw new InvalidArgumentError('Allowed: TRAINING, SERVING.');
      return env;
    })
    .addOption(new Option('--format <format>', 'text, json (anomalies[]) or sarif (SARIF 2.1.0 for code scanning)').choices(['text', 'json', 'sarif']).default('text'))
    .option('--max-row-diagnostics <n>', 'row-level anomalies listed per feature and type before a summary', positiveInt, DEFAULT_MAX_ROW_DIAGNOSTICS),
  ).action(action(validateCommand));
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('Give a whole number, 0 or more.');
  return n;
}

export async function validateCommand(data: string, opts: ValidateCommandOptions): Promise<number> {
  const ws = await workspaceOf(opts, false);
  const result: ValidationResult & { schema: string } = await withCancel({ bar: false }, (ctx) =>
    ops.validate(ws, { data, ...(opts.schema !== undefined ? { schema: opts.schema } : {}), ...(opts.baseline ? { baseline: opts.baseline } : {}), ...(opts.environment ? { environment: opts.environment } : {}), maxRowDiagnostics: opts.maxRowDiagnostics }, ctx),
  );
  if (opts.format === 'json') {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else if (opts.format === 'sarif') {
    process.stdout.write(JSON.stringify(await ops.validationSarif(result, { schemaFile: result.schema }), null, 2) + '\n');
  } else {
    process.stdout.write(validationText(result, result.schema));
  }
  return hasErrors(result.anomalies) ? EXIT.failed : EXIT.ok;
}


/** Anomalies grouped by feature; each (type, severity) one headline, its cells folded into a line list. */
export function validationText(r: ValidationResult, schemaFile: string): string {
  const lines: string[] = [];
  const against = [`schema ${schemaFile}`, r.environment ? `environment ${r.environment}` : '', r.baseline ? `baseline ${r.baseline}` : ''].filter(Boolean);
  lines.push(`${r.source}: ${r.rows.toLocaleString('en-US')} rows, checked against ${against.join(', ')} (${(r.elapsedMs / 1000).toFixed(2)} s)`);
  const byFeature = new Map<string, Anomaly[]>();
  for (const a of r.anomalies) {
    const key = a.feature ?? '(dataset)';
    byFeature.set(key, [...(byFeature.get(key) ?? []), a]);
  }
  for (const [feature, list] of byFeature) {
    lines.push('', feature);
    const groups = new Map<string, Anomaly[]>();
    for (const a of list) groups.set(`${a.type} ${a.severity}`, [...(groups.get(`${a.type} ${a.severity}`) ?? []), a]);
    for (const group of groups.values()) {
      const first = group[0]!;
      const tag = `  ${first.severity.padEnd(7)} ${first.type.padEnd(14)} `;
      const rows = group.filter(isRowLevel);
      const summary = group.find((a) => a.count !== undefined);
      for (const a of group.filter((x) => !isRowLevel(x) && x !== summary)) lines.push(tag + a.description);
      if (rows.length === 0 && !summary) continue;
      if (summary) lines.push(tag + summary.description);
      else if (rows.length === 1) lines.push(tag + rows[0]!.description);
      else lines.push(`${tag}${rows.length} ${first.type === 'parse_error' ? 'lines' : 'cells'}: ${[...new Set(rows.map((a) => a.description))].slice(0, 3).join('; ')}${rows.length > 3 ? '; ...' : ''}`);
      const at = rows.map((a) => String(a.line ?? a.row));
      const files = [...new Set(rows.map((a) => a.file).filter(Boolean))];
      if (at.length > 0) {
        const shown = at.slice(0, 12).join(', ') + (at.length > 12 ? ', ...' : '');
        const what = (rows[0]!.line !== undefined ? 'line' : 'row') + (at.length === 1 ? '' : 's');
        lines.push(`${' '.repeat(tag.length)}${what} ${shown}${files.length === 1 ? ` of ${files[0]}` : ''}`);
      }
    }
  }
  // Counted as failed checks (feature and type), not anomalies: 100 bad cells are one problem.
  const checks = (severity: string) => [...new Set(r.anomalies.filter((a) => a.severity === severity).map((a) => `${a.feature ?? '(dataset)'} ${a.type}`))];
  const errors = checks('error');
  const warnings = checks('warning');
  const plural = (n: number, w: string) => `${n.toLocaleString('en-US')} ${w}${n === 1 ? '' : 's'}`;
  const listed = `${plural(r.anomalies.length, 'anomaly')} listed`.replace('anomalys', 'anomalies');
  lines.push(
    '',
    errors.length > 0
      ? `FAILED: ${plural(errors.length, 'check')} failed, ${plural(warnings.length, 'warning')} (${listed})`
      : warnings.length > 0
        ? `OK with ${plural(warnings.length, 'warning')}`
        : 'OK: no anomalies',
  );
  return lines.join('\n') + '\n';
}
