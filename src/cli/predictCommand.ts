import path from 'node:path';
import type { Command } from 'commander';
import { DuckSession } from '../core/data/duckdb';
import { openSource, readRoot } from '../core/data/source';
import { loadProjectConfig } from '../core/pipeline/config';
import { openRegistry } from '../core/registry';
import { formatRef, parseModelRef } from '../core/registry/ref';
import { outputFormatOf, predictBatch } from '../core/serve/batch';
import { progressBar } from './progress';
import { action } from './run';

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('Score a whole data file with a registered model version (batch prediction)')
    .argument('<model>', '<model>@<alias>, <model>:<version>, or <model> (its serving alias, else the latest version)')
    .requiredOption('--input <data>', 'data to score (CSV, TSV, Parquet, JSON Lines, or a glob)')
    .requiredOption('--output <file>', 'where to write the predictions: .parquet, .csv or .jsonl')
    .option('--keys <columns>', 'comma-separated input columns to copy to the output (default: every column that is not a model input)')
    .option('--log', "also log every prediction to the model's prediction log (route batch)")
    .option('--workspace <dir>', 'the workspace holding .prodml/registry', process.cwd())
    .option('--json', 'print the result as one JSON document')
    .action(action(predictCommand));
}

export async function predictCommand(spec: string, opts: { input: string; output: string; keys?: string; log?: boolean; workspace: string; json?: boolean }): Promise<number> {
  const root = path.resolve(opts.workspace);
  outputFormatOf(opts.output);
  const registry = await openRegistry(root);
  const { model, ref } = parseModelRef(spec, 'latest');
  let version;
  if (spec.includes('@') || spec.includes(':')) {
    version = await registry.getVersion(model, ref);
  } else {
    // A bare name means what serving would answer with; before any promotion, the newest version.
    const alias = (await loadProjectConfig(root).catch(() => undefined))?.models.find((m) => m.name === model)?.serving.alias ?? 'production';
    const aliases = await registry.aliases(model);
    version = await registry.getVersion(model, aliases[alias] !== undefined ? `@${alias}` : 'latest');
    if (aliases[alias] === undefined) process.stderr.write(`prodml: ${model} has no "${alias}" alias yet; using the latest version, ${formatRef(model, version.version)}\n`);
  }
  const source = await openSource(opts.input);
  const output = path.resolve(opts.output);
  const session = await DuckSession.open({ allowedDirectories: [root, readRoot(opts.input), path.dirname(output)] });
  const bar = progressBar(!opts.json && process.stderr.isTTY === true);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const keys = opts.keys?.split(',').map((k) => k.trim()).filter((k) => k !== '');
    const r = await predictBatch(session, version, source, opts.output, {
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
