import { InvalidArgumentError, Option, type Command } from 'commander';
import { DuckSession } from '../core/data/duckdb';
import path from 'node:path';
import { closeInput, resolveDataInput, type DataInput } from '../core/data/dataset';
import { fileRelation } from '../core/data/profile';
import { readRoot } from '../core/data/source';
import { badInput } from '../core/errors';
import { validateRelation } from '../core/schema/pushdown';
import { readSchema } from '../core/schema/io';
import { validationSarif } from '../core/schema/sarif';
import { hasErrors, isRowLevel, SERVING, TRAINING, type Anomaly, type ValidationResult } from '../core/schema/types';
import { DEFAULT_MAX_ROW_DIAGNOSTICS, validateData } from '../core/schema/validate';
import { action, EXIT } from './run';

export type ValidateFormat = 'text' | 'json' | 'sarif';

export interface ValidateCommandOptions {
  /** Required for files; a dataset's own schema: in prodml.yaml is the default. */
  schema?: string;
  baseline?: string;
  environment?: string;
  format: ValidateFormat;
  maxRowDiagnostics: number;
}

export function registerValidateCommand(program: Command): void {
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
    .option('--max-row-diagnostics <n>', 'row-level anomalies listed per feature and type before a summary', positiveInt, DEFAULT_MAX_ROW_DIAGNOSTICS)
    .action(action(validateCommand));
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('Give a whole number, 0 or more.');
  return n;
}

export async function validateCommand(data: string, opts: ValidateCommandOptions): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const inputs: DataInput[] = [];
  let result: ValidationResult;
  let schemaFile: string;
  try {
    const input = await resolveDataInput(data, process.cwd(), { signal: abort.signal });
    inputs.push(input);
    const dataset = input.dataset;
    const root = input.root;
    const given = opts.schema ?? (dataset?.schema && root ? path.join(root, dataset.schema) : undefined);
    if (!given) throw badInput(data, dataset ? `datasets.${dataset.name} has no schema:; give --schema <file.schema.yaml>` : 'give --schema <file.schema.yaml>');
    schemaFile = opts.schema ?? path.relative(process.cwd(), given);
    const schema = await readSchema(given);
    const baselineArg = opts.baseline ?? (dataset?.baseline && root ? dataset.baseline : undefined);
    const baseline = baselineArg ? await resolveDataInput(baselineArg, opts.baseline ? process.cwd() : root!, { signal: abort.signal, ...(root ? { root } : {}) }) : undefined;
    if (baseline) inputs.push(baseline);
    const environment = opts.environment ?? dataset?.environment;
    const dirs = [process.cwd(), ...(root ? [root] : []), ...inputs.flatMap((i) => (i.kind === 'file' ? [readRoot(i.source.path)] : []))];
    const session = await DuckSession.open({ allowedDirectories: dirs });
    try {
      if (input.kind === 'db' || baseline?.kind === 'db') {
        // A database dataset is validated where it lives; a file against a database baseline too.
        const rel = input.kind === 'db' ? input.opened.relation : fileRelation(session, input.source);
        const base = baseline ? (baseline.kind === 'db' ? baseline.opened.relation : fileRelation(session, baseline.source)) : undefined;
        result = await validateRelation(rel, schema, { ...(base ? { baseline: base } : {}), environment, signal: abort.signal });
      } else {
        result = await validateData(session, input.source, schema, {
          ...(baseline?.kind === 'file' ? { baseline: baseline.source } : {}),
          environment,
          maxRowDiagnostics: opts.maxRowDiagnostics,
          signal: abort.signal,
        });
      }
    } finally {
      session.close();
    }
  } finally {
    process.off('SIGINT', onSigint);
    for (const i of inputs) await closeInput(i);
  }
  opts = { ...opts, schema: schemaFile };
  if (opts.format === 'json') {
    process.stdout.write(JSON.stringify({ ...result, schema: opts.schema }, null, 2) + '\n');
  } else if (opts.format === 'sarif') {
    process.stdout.write(JSON.stringify(await validationSarif(result, { schemaFile: opts.schema! }), null, 2) + '\n');
  } else {
    process.stdout.write(validationText(result, opts.schema!));
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
