import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { adviseServing, DEFAULT_THRESHOLDS, writeStaticTable, type AdviceThresholds, type ServingAdvice } from '../core/advise';
import { fmtBytes, fmtInt, pct } from '../core/advise/recommend';
import { DuckSession } from '../core/data/duckdb';
import { openSource, readRoot } from '../core/data/source';
import { badInput } from '../core/errors';
import { loadProjectConfig } from '../core/project/config';
import { formatRef, openRegistry } from '../core/registry';
import { LOGS_DIR } from '../core/serve/logTypes';
import { resolveVersion } from '../core/project/resolveVersion';
import { progressBar } from './progress';
import { action } from './run';

export function registerAdviseCommand(program: Command): void {
  const advise = program.command('advise').description('Checks that help an ML system adapt: how to serve a model');
  advise
    .command('serving')
    .description('Static, dynamic or hybrid serving? Measures how requests spread over keys (cardinality, top-k coverage, entropy) in the prediction log or a data file')
    .argument('[model]', 'the model (default: the only one)')
    .option('--data <file>', 'read keys from this data file (one row per request) instead of the prediction log')
    .option('--key <column>', 'the key column or input field (default: models.<model>.serving.key)')
    .option('--target <share>', `share of requests the hybrid head must cover (default ${DEFAULT_THRESHOLDS.targetCoverage})`, Number)
    .option('--static-max-keys <n>', `most keys worth precomputing whole (default ${fmtInt(DEFAULT_THRESHOLDS.staticMaxKeys)})`, Number)
    .option('--cache-max-keys <n>', `largest precomputed head for hybrid serving (default ${fmtInt(DEFAULT_THRESHOLDS.cacheMaxKeys)})`, Number)
    .option('--workspace <dir>', 'the workspace holding prodml.yaml and .prodml/logs', process.cwd())
    .option('--json', 'print the advice as one JSON document')
    .action(action(adviseServingCommand));
}

interface AdviseCliOptions {
  data?: string;
  key?: string;
  target?: number;
  staticMaxKeys?: number;
  cacheMaxKeys?: number;
  workspace: string;
  json?: boolean;
}

export async function adviseServingCommand(name: string | undefined, opts: AdviseCliOptions): Promise<number> {
  const root = path.resolve(opts.workspace);
  const model = await pickModel(root, name, opts.data !== undefined);
  const data = opts.data !== undefined ? await openSource(opts.data) : undefined;
  const thresholds: Partial<AdviceThresholds> = {
    ...(opts.target !== undefined ? { targetCoverage: opts.target } : {}),
    ...(opts.staticMaxKeys !== undefined ? { staticMaxKeys: opts.staticMaxKeys } : {}),
    ...(opts.cacheMaxKeys !== undefined ? { cacheMaxKeys: opts.cacheMaxKeys } : {}),
  };
  const session = await DuckSession.open({ allowedDirectories: [root, ...(opts.data ? [readRoot(opts.data)] : [])] });
  const bar = progressBar(!opts.json && process.stderr.isTTY === true);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let advice: ServingAdvice;
  try {
    advice = await adviseServing(session, root, model, { ...(opts.key ? { key: opts.key } : {}), ...(data ? { data } : {}), thresholds, signal: abort.signal, onProgress: (f, phase) => bar.update(f, phase) });
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
    session.close();
  }
  process.stdout.write(opts.json ? JSON.stringify(advice, null, 2) + '\n' : adviceText(advice));
  return 0;
}

export function adviceText(a: ServingAdvice): string {
  const d = a.distribution;
  const lines = [
    `${a.model}: ${a.recommendation.toUpperCase()} serving${a.table.keys > 0 ? ` (precompute ${fmtInt(a.table.keys)} keys → ${pct(a.table.coverage)} of requests, ~${fmtBytes(a.table.memoryBytes)})` : ''}`,
    '',
    `  source          ${a.source.kind === 'log' ? `prediction log ${a.source.path} (${a.source.routes.join(' + ')} requests, key ${a.source.key})` : `${a.source.path} (column ${a.source.key})`}`,
    `  requests        ${fmtInt(d.requests)}${d.withoutKey > 0 ? ` (+ ${fmtInt(d.withoutKey)} without a key)` : ''}`,
    `  distinct keys   ${fmtInt(d.keys)} (${fmtInt(d.singletons)} requested once)`,
    `  repeat share    ${pct(d.repeatShare)} of requests ask for a key asked before`,
    `  entropy         ${d.entropyBits.toFixed(2)} bits, ${d.normalizedEntropy.toFixed(3)} of uniform, ≈ ${fmtInt(d.effectiveKeys)} equally popular keys`,
    ...(d.zipf ? [`  Zipf exponent   ${d.zipf.exponent.toFixed(2)} (r² ${d.zipf.r2.toFixed(3)} over ranks 1–${fmtInt(d.zipf.maxRank)})`] : []),
    `  top-k coverage  ${d.topK.map((p) => `top ${fmtInt(p.k)}: ${pct(p.coverage)}`).join('  ')}`,
    `  keys needed     ${d.keysForCoverage.map((p) => `${pct(p.coverage)}: ${fmtInt(p.k)}`).join('  ')}`,
    '',
    ...wrap(a.reasoning, 96).map((l) => `  ${l}`),
    ...a.caveats.flatMap((c) => wrap(`Note: ${c}.`, 96).map((l, i) => `  ${i === 0 ? '' : '  '}${l}`)),
  ];
  if (a.recommendation !== 'dynamic') {
    lines.push('', `  Build the table: prodml predict ${a.model} --static --input <data with ${a.source.key} and the model's inputs>`);
  }
  return lines.join('\n') + '\n';
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/** The named model, or the only one prodml.yaml, the registry or the logs know. */
async function pickModel(root: string, name: string | undefined, fromData: boolean): Promise<string> {
  const project = await loadProjectConfig(root);
  const configured = project?.models.map((m) => m.name) ?? [];
  const logged = (await fs.promises.readdir(path.join(root, '.prodml', LOGS_DIR), { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
  const known = [...new Set([...configured, ...logged])].sort();
  if (name !== undefined) {
    // With --data, a model that exists nowhere yet can still be advised on.
    if (!fromData && !known.includes(name)) throw badInput(project?.file ?? root, `has no model "${name}" (${known.length > 0 ? `models: ${known.join(', ')}` : 'no models in prodml.yaml and no prediction logs'})`);
    return name;
  }
  if (known.length === 1) return known[0]!;
  throw badInput(project?.file ?? root, known.length === 0 ? 'has no model to advise on: name one' : `has several models (${known.join(', ')}): name one`);
}

/** `prodml predict <model> --static`: the precomputed table for static or hybrid serving. */
export async function staticPredictCommand(spec: string, opts: { input: string; output?: string; keys?: string; log?: boolean; top?: number; key?: string; workspace: string; json?: boolean }): Promise<number> {
  if (opts.keys !== undefined || opts.log) throw badInput(undefined, '--keys and --log do not go with --static (the table holds the key column and the predictions)');
  const root = path.resolve(opts.workspace);
  const registry = await openRegistry(root);
  const { version, note } = await resolveVersion(root, registry, spec);
  if (note) process.stderr.write(`prodml: ${note}\n`);
  const source = await openSource(opts.input);
  const output = opts.output !== undefined ? path.resolve(opts.output) : undefined;
  const session = await DuckSession.open({ allowedDirectories: [root, readRoot(opts.input), ...(output ? [path.dirname(output)] : [])] });
  const bar = progressBar(!opts.json && process.stderr.isTTY === true);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const r = await writeStaticTable(session, root, version, source, {
      ...(opts.top !== undefined ? { top: opts.top } : {}),
      ...(opts.key !== undefined ? { key: opts.key } : {}),
      ...(output ? { output } : {}),
      signal: abort.signal,
      onProgress: (f, phase) => bar.update(f, phase),
    });
    bar.stop();
    const rel = (f: string) => path.relative(process.cwd(), f) || f;
    if (opts.json) {
      process.stdout.write(JSON.stringify({ model: version.model, version: version.version, input: source.display, output: rel(r.file), manifest: rel(r.manifest), rows: r.rows, key: r.key, head: r.head, missing_keys: r.missingKeys, duplicate_keys: r.duplicateKeys, seconds: r.seconds, ...(r.advice ? { advice: r.advice } : {}) }, null, 2) + '\n');
    } else {
      const how = r.head.from === 'all' ? 'every key of the input (static serving advised)' : r.head.from === 'advice' ? `the ${fmtInt(r.head.requested ?? 0)} most requested keys (hybrid serving advised)` : `the ${fmtInt(r.head.requested ?? 0)} most requested keys of the log (--top)`;
      process.stdout.write(`${formatRef(version.model, version.version)}: precomputed ${fmtInt(r.rows)} predictions by ${r.key} for ${how} into ${rel(r.file)} in ${r.seconds.toFixed(1)} s\n`);
      if (r.missingKeys > 0) process.stdout.write(`${fmtInt(r.missingKeys)} head keys have no row in ${source.display}: the model scores them on request\n`);
      if (r.duplicateKeys > 0) process.stdout.write(`${fmtInt(r.duplicateKeys)} rows repeat a key already scored: the first row of each key was used\n`);
      const def = path.resolve(r.file) === path.resolve(root, '.prodml', 'static', version.model, `${version.version}.parquet`);
      process.stdout.write(def ? `prodml serve answers these keys from the table while it serves version ${version.version} (response header x-prodml-static)\n` : `prodml serve reads only .prodml/static/${version.model}/${version.version}.parquet; this table is for your own use\n`);
    }
    return 0;
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
    session.close();
  }
}
