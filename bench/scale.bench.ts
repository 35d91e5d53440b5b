/**
 * npm run bench:scale — ProdML on one machine at 1M and 10M rows (100M with --big): profile,
 * validate, train (per epoch and whole) and batch prediction, each as its own `prodml` process
 * (the built CLI) under /usr/bin/time -v, so the figures are whole-process wall time and peak RSS.
 * References measured in the same run: DuckDB's own SUMMARIZE of the same file (for profile) and
 * scikit-learn's SGDClassifier doing the same training job (bench/scale_sklearn.py, on the sizes
 * that fit in memory, --sklearn-max rows).
 *
 * Data: generated in DuckDB from hashes of the row number: 16 numeric features (one with 2%
 * missing), 4 categorical, a date (the time split: the last 20% of dates evaluate) and a 0/1 label
 * drawn from a known logistic model.
 *
 * Usage: bench/scale.bench.ts [--rows 1000000,10000000] [--big] [--epochs 3] [--sklearn-max 2000000]
 * [--generate-only] (or SCALE_ROWS=1e6,2e6 and SCALE_DATA=<dir> in the environment). Each stage's note gives the load average (1 min)
 * when it started: the machine is shared, and times scale with it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckSession, sqlString } from '../src/core/data/duckdb';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const SIZES = arg('--rows', process.env['SCALE_ROWS'] ?? '1000000,10000000').split(',').map(Number).concat(args.includes('--big') ? [100_000_000] : []);
const EPOCHS = Number(arg('--epochs', '3'));
const SKLEARN_MAX = Number(arg('--sklearn-max', '2000000'));
// SCALE_DATA shares generated data between checkouts (100M rows take minutes and gigabytes).
const DATA = process.env['SCALE_DATA'] ?? path.join(__dirname, '.data');
const GENERATE_ONLY = args.includes('--generate-only');
const CLI = path.join(__dirname, '..', 'dist', 'cli.js');
const NUMERIC = Array.from({ length: 16 }, (_, i) => `x${String(i + 1).padStart(2, '0')}`);
const CATS = ['region', 'channel', 'plan', 'segment'];

const u = (k: number) => `(((hash(range * 64 + ${k}) >> 11)::DOUBLE + 0.5) / 9007199254740992.0)`;
const normal = (k: number) => `(sqrt(-2 * ln(${u(k)})) * cos(2 * pi() * ${u(k + 1)}))`;

function generator(rows: number): string {
  const xs = NUMERIC.map((c, i) => (i === 4 ? `CASE WHEN ${u(60)} < 0.02 THEN NULL ELSE ${normal(2 * i)} END AS ${c}` : `${normal(2 * i)} AS ${c}`));
  return `WITH b AS (SELECT range, ${xs.join(', ')},
      floor(${u(40)} * 4)::INTEGER AS r, floor(${u(41)} * 10)::INTEGER AS ch, floor(${u(42)} * 3)::INTEGER AS pl, floor(${u(43)} * 25)::INTEGER AS sg, ${u(44)} AS draw
    FROM range(${rows}))
  SELECT range AS id, ${NUMERIC.join(', ')},
    ['north', 'south', 'east', 'west'][r + 1] AS region, 'ch' || ch::VARCHAR AS channel, ['basic', 'plus', 'pro'][pl + 1] AS plan, 's' || sg::VARCHAR AS segment,
    DATE '2024-01-01' + (range * 100 // ${rows})::INTEGER AS event_date,
    (draw < 1 / (1 + exp(-(-0.5 + 0.8 * x01 - 0.6 * x02 + 0.5 * x03 + 0.4 * x04 - 0.35 * coalesce(x05, 0) + 0.25 * x06 - 0.1 * x08
      + [-0.4, 0.0, 0.3, 0.5][r + 1] + 0.08 * ch - [0.0, 0.2, 0.45][pl + 1] + 0.6 * (((sg * 7) % 25) / 25.0 - 0.5)))))::INTEGER AS label
  FROM b`;
}

async function workspace(rows: number, csv: boolean): Promise<string> {
  const ws = path.join(DATA, `scale-${rows}`);
  const parquet = path.join(ws, 'data', 'scale.parquet');
  fs.mkdirSync(path.join(ws, 'data'), { recursive: true });
  const session = await DuckSession.open({ allowedDirectories: [ws] });
  try {
    if (!fs.existsSync(parquet)) {
      process.stderr.write(`generating ${rows.toLocaleString('en-US')} rows...\n`);
      await session.run(`COPY (${generator(rows)}) TO ${sqlString(parquet)} (FORMAT parquet)`);
    }
    const csvFile = path.join(ws, 'python', 'scale.csv');
    if (csv && !fs.existsSync(csvFile)) {
      fs.mkdirSync(path.dirname(csvFile), { recursive: true });
      await session.run(`COPY (SELECT * FROM read_parquet(${sqlString(parquet)})) TO ${sqlString(csvFile)} (FORMAT csv, HEADER)`);
    }
  } finally {
    session.close();
  }
  const features = [...NUMERIC.map((c) => `      ${c}: standardize`), ...CATS.map((c) => `      ${c}: one_hot`)].join('\n');
  fs.writeFileSync(
    path.join(ws, 'prodml.yaml'),
    `datasets:
  scale:
    path: data/*.parquet
    label: label
    time_column: event_date
    schema: scale.schema.yaml
models:
  scale:
    dataset: scale
    task: binary
    features:
${features}
    split: {kind: time, eval_fraction: 0.2}
    model: {type: logistic}
    training: {epochs: ${EPOCHS}, batch_size: 256, learning_rate: 0.01, seed: 42}
`,
  );
  fs.rmSync(path.join(ws, '.prodml'), { recursive: true, force: true });
  fs.rmSync(path.join(ws, 'out'), { recursive: true, force: true });
  return ws;
}

/** The 1-minute load average when the last measured command started. */
let load = 0;

interface Measured {
  seconds: number;
  rssMB: number;
  stdout: string;
  stderr: string;
}

/** A command under /usr/bin/time -v: wall time and peak RSS of the whole process. */
function measure(cmd: string, argv: string[], cwd: string): Measured {
  load = os.loadavg()[0]!;
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...argv], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
  if (!rss) throw new Error(`${cmd} ${argv.join(' ')}: no /usr/bin/time report\n${r.stderr.slice(-2000)}`);
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}\n${r.stderr.slice(-2000)}`);
  return { seconds, rssMB: Number(rss) / 1024, stdout: r.stdout, stderr: r.stderr };
}

const SUMMARIZE = `const { DuckDBInstance } = require('@duckdb/node-api');
(async () => { const c = await (await DuckDBInstance.create(':memory:')).connect(); await c.runAndReadAll("SUMMARIZE SELECT * FROM read_parquet('" + process.argv[1] + "')"); })();`;

interface Row {
  rows: number;
  stage: string;
  seconds: number;
  rssMB: number;
  ref?: string;
  refSeconds?: number;
  refRssMB?: number;
  note?: string;
}

async function main() {
  const table: Row[] = [];
  const cli = (ws: string, ...a: string[]) => measure(process.execPath, [CLI, ...a, '--workspace', ws], ws);
  for (const rows of SIZES) {
    const sk = rows <= SKLEARN_MAX;
    const ws = await workspace(rows, sk);
    if (GENERATE_ONLY) continue;
    const parquet = path.join(ws, 'data', 'scale.parquet');
    spawnSync(process.execPath, [CLI, 'schema', 'infer', 'data/scale.parquet', '-o', 'scale.schema.yaml', '--label', 'label', '--workspace', ws], { cwd: ws, stdio: 'ignore' });
    process.stderr.write(`${rows.toLocaleString('en-US')} rows: profile\n`);
    const prof = cli(ws, 'profile', 'data/scale.parquet', '--json');
    const profLoad = load;
    const summ = measure(process.execPath, ['-e', SUMMARIZE, parquet], path.join(__dirname, '..'));
    table.push({ rows, stage: 'profile', seconds: prof.seconds, rssMB: prof.rssMB, ref: 'DuckDB SUMMARIZE', refSeconds: summ.seconds, refRssMB: summ.rssMB, note: `load ${profLoad.toFixed(1)}` });

    process.stderr.write(`${rows.toLocaleString('en-US')} rows: validate\n`);
    const val = cli(ws, 'validate', 'data/scale.parquet', '--schema', 'scale.schema.yaml', '--format', 'json');
    table.push({ rows, stage: 'validate', seconds: val.seconds, rssMB: val.rssMB, ref: 'DuckDB SUMMARIZE', refSeconds: summ.seconds, refRssMB: summ.rssMB, note: `load ${load.toFixed(1)}` });

    process.stderr.write(`${rows.toLocaleString('en-US')} rows: train\n`);
    const tr = cli(ws, 'train', 'scale');
    const trLoad = load;
    const streamed = /Streaming [\d,]+ training rows from DuckDB in (\d+) shuffled buckets/.exec(tr.stderr);
    const paces = [...tr.stderr.matchAll(/epoch \d+\/\d+ · ([\d,]+) rows\/s/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
    const card = JSON.parse(fs.readFileSync(path.join(ws, '.prodml', 'registry', 'scale', '1', 'card.json'), 'utf8')) as { metrics: { auc: number }; training_data: { rows: number } };
    const epochS = paces.map((p) => card.training_data.rows / p);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    let skRun: { epoch_s: number[]; auc: number } | undefined;
    let skM: Measured | undefined;
    if (sk) {
      process.stderr.write(`${rows.toLocaleString('en-US')} rows: sklearn\n`);
      skM = measure('/usr/bin/python3', [path.join(__dirname, 'scale_sklearn.py'), path.join(ws, 'python', 'scale.csv'), String(EPOCHS), NUMERIC.join(','), CATS.join(',')], ws);
      skRun = JSON.parse(skM.stdout);
    }
    table.push({ rows, stage: 'train epoch (median)', seconds: median(epochS), rssMB: Number.NaN, ref: skRun ? 'sklearn SGD epoch' : undefined, refSeconds: skRun ? median(skRun.epoch_s) : undefined });
    table.push({
      rows,
      stage: 'train (whole process)',
      seconds: tr.seconds,
      rssMB: tr.rssMB,
      ref: skM ? 'sklearn read+encode+SGD' : undefined,
      refSeconds: skM?.seconds,
      refRssMB: skM?.rssMB,
      note: `AUC ${card.metrics.auc.toFixed(4)}${skRun ? ` (sklearn ${skRun.auc.toFixed(4)})` : ''}; ${streamed ? `streamed, ${streamed[1]} buckets` : 'in memory'}; load ${trLoad.toFixed(1)}${skM ? ` (sklearn: ${load.toFixed(1)})` : ''}`,
    });

    process.stderr.write(`${rows.toLocaleString('en-US')} rows: batch\n`);
    const bp = cli(ws, 'predict', 'scale:1', '--input', 'data/scale.parquet', '--output', 'out/pred.parquet', '--keys', 'id', '--json');
    const inner = JSON.parse(bp.stdout) as { seconds?: number; rows?: number };
    table.push({ rows, stage: 'batch predict', seconds: bp.seconds, rssMB: bp.rssMB, note: `${Math.round(rows / bp.seconds).toLocaleString('en-US')} rows/s whole process${inner.seconds ? `, ${Math.round(rows / inner.seconds).toLocaleString('en-US')} rows/s in predictBatch` : ''}; load ${load.toFixed(1)}` });
    fs.rmSync(path.join(ws, 'out'), { recursive: true, force: true });
  }
  const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
  const lines = ['| rows | stage | time (s) | peak RSS (MB) | reference | ref time (s) | ref RSS (MB) | time ratio | note |', '|---:|---|---:|---:|---|---:|---:|---:|---|'];
  for (const r of table) {
    lines.push(`| ${r.rows.toLocaleString('en-US')} | ${r.stage} | ${f(r.seconds)} | ${f(r.rssMB, 0)} | ${r.ref ?? '-'} | ${f(r.refSeconds)} | ${f(r.refRssMB, 0)} | ${r.refSeconds ? `${(r.seconds / r.refSeconds).toFixed(2)}x` : '-'} | ${r.note ?? ''} |`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
