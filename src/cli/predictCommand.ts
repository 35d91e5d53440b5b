import path from 'node:path';
import type { Command } from 'commander';
import * as ops from '../core/ops';
import { badInput, formatRef } from '../core/ops/format';
import { staticPredictCommand } from './adviseCommand';
import { action, withCancel, workspaceOf, workspaceOption } from './run';

export function registerPredictCommand(program: Command): void {
  workspaceOption(
    program
    .command('predict')
    .description('Score a whole data file with a registered model version (batch prediction)')
    .argument('<model>', '<model>@<alias>, <model>:<version>, or <model> (its serving alias, else the latest version)')
    .requiredOption('--input <data>', 'data to score (CSV, TSV, Parquet, JSON Lines, a glob, or a dataset name from prodml.yaml)')
    .option('--output <file>', 'where to write the predictions: .parquet, .csv or .jsonl (with --static: default .prodml/static/<model>/<version>.parquet, the table the server reads)')
    .option('--keys <columns>', 'comma-separated input columns to copy to the output (default: every column that is not a model input)')
    .option('--log', "also log every prediction to the model's prediction log (route batch)")
    .option('--static', 'write the precomputed table for static serving: one prediction per head key (the serving advice, or --top N), which prodml serve answers from')
    .option('--top <n>', 'with --static: precompute the N most requested keys of the prediction log', (v) => Number(v))
    .option('--key <column>', 'with --static: the key column (default: models.<model>.serving.key)')
    .option('--json', 'print the result as one JSON document'),
  ).action(action(predictCommand));
}

export async function predictCommand(spec: string, opts: { input: string; output?: string; keys?: string; log?: boolean; static?: boolean; top?: number; key?: string; workspace?: string; json?: boolean }): Promise<number> {
  if (opts.static) return staticPredictCommand(spec, opts);
  if (opts.top !== undefined || opts.key !== undefined) throw badInput(undefined, '--top and --key go with --static');
  if (opts.output === undefined) throw badInput(undefined, "required option '--output <file>' not specified");
  const ws = await workspaceOf(opts);
  const keys = opts.keys?.split(',').map((k) => k.trim()).filter((k) => k !== '');
  const output = opts.output;
  {
    const r = await withCancel(opts, (ctx) => ops.predict(ws, { model: spec, input: opts.input, output, ...(keys ? { keys } : {}), ...(opts.log ? { log: true } : {}) }, ctx));
    const { version, input } = r;
    const model = version.model;
    const root = ws.root;
    if (r.note) process.stderr.write(`prodml: ${r.note}\n`);
    const rel = path.relative(process.cwd(), r.output) || r.output;
    if (opts.json) {
      process.stdout.write(JSON.stringify({ model, version: version.version, input, output: rel, rows: r.rows, columns: r.columns, seconds: r.seconds, ...(r.logged ? { logged: path.relative(root, r.logged) } : {}) }, null, 2) + '\n');
    } else {
      const rate = r.rows / Math.max(r.seconds, 1e-9);
      process.stdout.write(`${formatRef(model, version.version)}: wrote ${r.rows.toLocaleString('en-US')} predictions to ${rel} (${r.columns.join(', ')}) in ${r.seconds.toFixed(1)} s, ${Math.round(rate).toLocaleString('en-US')} rows/s\n`);
      if (r.logged) process.stdout.write(`logged to ${path.relative(root, r.logged)}\n`);
    }
    return 0;
  }
}
