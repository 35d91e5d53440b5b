import path from 'node:path';
import type { Command } from 'commander';
import * as ops from '../core/ops';
import type { AdviceThresholds, ServingAdvice } from '../core/ops/types';
import { badInput, DEFAULT_THRESHOLDS, fmtBytes, fmtInt, formatRef, pct } from '../core/ops/format';
import { action, withCancel, workspaceOf, workspaceOption } from './run';

export function registerAdviseCommand(program: Command): void {
  const advise = program.command('advise').description('Checks that help an ML system adapt: how to serve a model');
  workspaceOption(
    advise
    .command('serving')
    .description('Static, dynamic or hybrid serving? Measures how requests spread over keys (cardinality, top-k coverage, entropy) in the prediction log or a data file')
    .argument('[model]', 'the model (default: the only one)')
    .option('--data <data>', 'read keys from this data (a file, glob or prodml.yaml dataset name; one row per request) instead of the prediction log')
    .option('--key <column>', 'the key column or input field (default: models.<model>.serving.key)')
    .option('--target <share>', `share of requests the hybrid head must cover (default ${DEFAULT_THRESHOLDS.targetCoverage})`, Number)
    .option('--static-max-keys <n>', `most keys worth precomputing whole (default ${fmtInt(DEFAULT_THRESHOLDS.staticMaxKeys)})`, Number)
    .option('--cache-max-keys <n>', `largest precomputed head for hybrid serving (default ${fmtInt(DEFAULT_THRESHOLDS.cacheMaxKeys)})`, Number)
    .option('--json', 'print the advice as one JSON document'),
  ).action(action(adviseServingCommand));
}

interface AdviseCliOptions {
  data?: string;
  key?: string;
  target?: number;
  staticMaxKeys?: number;
  cacheMaxKeys?: number;
  workspace?: string;
  json?: boolean;
}

export async function adviseServingCommand(name: string | undefined, opts: AdviseCliOptions): Promise<number> {
  const thresholds: Partial<AdviceThresholds> = {
    ...(opts.target !== undefined ? { targetCoverage: opts.target } : {}),
    ...(opts.staticMaxKeys !== undefined ? { staticMaxKeys: opts.staticMaxKeys } : {}),
    ...(opts.cacheMaxKeys !== undefined ? { cacheMaxKeys: opts.cacheMaxKeys } : {}),
  };
  const ws = await workspaceOf(opts);
  const advice: ServingAdvice = await withCancel(opts, (ctx) =>
    ops.adviseServing(ws, { ...(name !== undefined ? { model: name } : {}), ...(opts.data !== undefined ? { data: opts.data } : {}), ...(opts.key ? { key: opts.key } : {}), thresholds }, ctx),
  );
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

/** `prodml predict <model> --static`: the precomputed table for static or hybrid serving. */
export async function staticPredictCommand(spec: string, opts: { input: string; output?: string; keys?: string; log?: boolean; top?: number; key?: string; workspace?: string; json?: boolean }): Promise<number> {
  if (opts.keys !== undefined || opts.log) throw badInput(undefined, '--keys and --log do not go with --static (the table holds the key column and the predictions)');
  const ws = await workspaceOf(opts);
  {
    const r = await withCancel(opts, (ctx) =>
      ops.staticTable(ws, { model: spec, input: opts.input, ...(opts.output !== undefined ? { output: opts.output } : {}), ...(opts.top !== undefined ? { top: opts.top } : {}), ...(opts.key !== undefined ? { key: opts.key } : {}) }, ctx),
    );
    const { version, input } = r;
    if (r.note) process.stderr.write(`prodml: ${r.note}\n`);
    const rel = (f: string) => path.relative(process.cwd(), f) || f;
    if (opts.json) {
      process.stdout.write(JSON.stringify({ model: version.model, version: version.version, input, output: rel(r.file), manifest: rel(r.manifest), rows: r.rows, key: r.key, head: r.head, missing_keys: r.missingKeys, duplicate_keys: r.duplicateKeys, seconds: r.seconds, ...(r.advice ? { advice: r.advice } : {}) }, null, 2) + '\n');
    } else {
      const how = r.head.from === 'all' ? 'every key of the input (static serving advised)' : r.head.from === 'advice' ? `the ${fmtInt(r.head.requested ?? 0)} most requested keys (hybrid serving advised)` : `the ${fmtInt(r.head.requested ?? 0)} most requested keys of the log (--top)`;
      process.stdout.write(`${formatRef(version.model, version.version)}: precomputed ${fmtInt(r.rows)} predictions by ${r.key} for ${how} into ${rel(r.file)} in ${r.seconds.toFixed(1)} s\n`);
      if (r.missingKeys > 0) process.stdout.write(`${fmtInt(r.missingKeys)} head keys have no row in ${input}: the model scores them on request\n`);
      if (r.duplicateKeys > 0) process.stdout.write(`${fmtInt(r.duplicateKeys)} rows repeat a key already scored: the first row of each key was used\n`);
      process.stdout.write(r.served ? `prodml serve answers these keys from the table while it serves version ${version.version} (response header x-prodml-static)\n` : `prodml serve reads only ${path.relative(ws.root, path.join(ws.paths.static, version.model, `${version.version}.parquet`))}; this table is for your own use\n`);
    }
    return 0;
  }
}
