import path from 'node:path';
import type { Command } from 'commander';
import { DuckSession } from '../core/data/duckdb';
import { openSource, readRoot } from '../core/data/source';
import { formatRef, openRegistry } from '../core/registry';
import { badInput } from '../core/errors';
import { outputFormatOf, predictBatch } from '../core/serve/batch';
import { staticPredictCommand } from './adviseCommand';
import { resolveVersion } from '../core/project/resolveVersion';
import { progressBar } from './progress';
import { action } from './run';

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('Score a whole data file with a registered model version (batch prediction)')
    .argument('<model>', '<model>@<alias>, <model>:<version>, or <model> (its serving alias, else the latest version)')
    .requiredOption('--input <data>', 'data to score (CSV, TSV, Parquet, JSON Lines, or a glob)')
    .option('--output <file>', 'where to write the predictions: .parquet, .csv or .jsonl (with --static: default .prodml/static/<model>/<version>.parquet, the table the server reads)')
    .option('--keys <columns>', 'comma-separated input columns to copy to the output (default: every column that is not a model input)')
    .option('--log', "also log every prediction to the model's prediction log (route batch)")
    .option('--static', 'write the precomputed table for static serving: one prediction per head key (the serving advice, or --top N), which prodml serve answers from')
    .option('--top <n>', 'with --static: precompute the N most requested keys of the prediction log', (v) => Number(v))
    .option('--key <column>', 'with --static: the key column (default: models.<model>.serving.key)')
    .option('--workspace <dir>', 'the workspace holding .prodml/registry', process.cwd())
    .option('--json', 'print the result as one JSON document')
    .action(action(predictCommand));
}

export async function predictCommand(spec: string, opts: { input: string; output?: string; keys?: string; log?: boolean; static?: boolean; top?: number; key?: string; workspace: string; json?: boolean }): Promise<number> {
  if (opts.static) return staticPredictCommand(spec, opts);
  if (opts.top !== undefined || opts.key !== undefined) throw badInput(undefined, '--top and --key go with --static');
  if (opts.output === undefined) throw badInput(undefined, "required option '--output <file>' not specified");
  const root = path.resolve(opts.workspace);
  outputFormatOf(opts.output);
  const registry = await openRegistry(root);
  const { version, note } = await resolveVersion(root, registry, spec);
  const model = version.model;
  if (note) process.stderr.write(`prodml: ${note}\n`);
  const source = await openSource(opts.input);
  const output = path.resolve(opts.output);
  const session = await DuckSession.open({ allowedDirectories: [root, readRoot(opts.input), path.dirname(output)] });
  const bar = progressBar(!opts.json && process.stderr.isTTY === true);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const keys = opts.keys?.split(',').map((k) => k.trim()).filter((k) => k !== '');
    const r = await predictBatch(session, version, source, output, {
      ...(keys ? { keys } : {}),
      ...(opts.log ? { log: { root } } : {}),
      signal: abort.signal,
      onProgress: (done, total) => bar.update(done / total, `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} rows`),
    });
    bar.stop();
    const rel = path.relative(process.cwd(), r.output) || r.output;
    if (opts.json) {
      process.stdout.write(JSON.stringify({ model, version: version.version, input: source.display, output: rel, rows: r.rows, columns: r.columns, seconds: r.seconds, ...(r.logged ? { logged: path.relative(root, r.logged) } : {}) }, null, 2) + '\n');
    } else {
      const rate = r.rows / Math.max(r.seconds, 1e-9);
      process.stdout.write(`${formatRef(model, version.version)}: wrote ${r.rows.toLocaleString('en-US')} predictions to ${rel} (${r.columns.join(', ')}) in ${r.seconds.toFixed(1)} s, ${Math.round(rate).toLocaleString('en-US')} rows/s\n`);
      if (r.logged) process.stdout.write(`logged to ${path.relative(root, r.logged)}\n`);
    }
    return 0;
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
    session.close();
  }
}
