/**
 * Batch prediction throughput (part of npm run bench:serve): rows/s of predictBatch for 1M
 * natality rows (the demo's generator) with the demo DNN, Parquet in and out, next to the Scorer
 * alone on rows already in memory (the ceiling the streaming, conversion and writing cost against).
 * Usage: bench/batch.bench.ts [--rows 1000000] [--repeat 3] [--csv] [--log]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckSession, sqlString } from '../src/core/data/duckdb';
import { openSource } from '../src/core/data/source';
import { toCsv } from '../src/core/demo/csv';
import { NATALITY_COLUMNS, generateNatalityRows } from '../src/core/demo/natality';
import { prepareDemoWorkspace } from '../src/core/demo/prepare';
import { openRegistry } from '../src/core/registry';
import { predictBatch } from '../src/core/serve/batchPredict';
import { loadScorer } from '../src/core/serve/scorer';
import { trainFromConfig } from '../src/core/train/run';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const ROWS = Number(arg('--rows', '1000000'));
const REPEAT = Number(arg('--repeat', '3'));
const DATA = path.join(__dirname, '.data');
const WS = path.join(DATA, 'batch-ws');

/** The demo's natality rows with a birth_id key, as Parquet (and CSV), generated once. */
async function ensureData(session: DuckSession): Promise<{ parquet: string; csv: string }> {
  const base = path.join(WS, 'data', `natality-${ROWS}`);
  const files = { parquet: `${base}.parquet`, csv: `${base}.csv` };
  if (fs.existsSync(files.parquet) && fs.existsSync(files.csv)) return files;
  process.stderr.write(`generating ${ROWS.toLocaleString('en-US')} natality rows...\n`);
  const columns = ['birth_id', ...NATALITY_COLUMNS];
  const out = fs.openSync(files.csv, 'w');
  const batch = 100_000;
  for (let at = 0; at < ROWS; at += batch) {
    const n = Math.min(batch, ROWS - at);
    const rows = generateNatalityRows({ seed: 1000 + at, rows: n, start: new Date(Date.UTC(2025, 0, 1)), end: new Date(Date.UTC(2026, 0, 1)) }).map((r, i) => ({ birth_id: `B${String(at + i).padStart(8, '0')}`, ...r }));
    const text = toCsv(columns, rows);
    fs.writeSync(out, at === 0 ? text : text.slice(text.indexOf('\n') + 1));
  }
  fs.closeSync(out);
  await session.run(`COPY (SELECT * FROM read_csv(${sqlString(files.csv)}, header = true)) TO ${sqlString(files.parquet)} (FORMAT parquet)`);
  return files;
}

async function ensureModel() {
  const registry = await openRegistry(WS).catch(() => undefined);
  const existing = await registry?.listVersions('baby_weight').catch(() => []);
  if (!existing || existing.length === 0) {
    process.stderr.write('training the demo DNN...\n');
    await prepareDemoWorkspace(WS, { rowsPerMonth: 2000 });
    await trainFromConfig(WS, 'baby_weight');
  }
  return (await openRegistry(WS)).getVersion('baby_weight', 'latest');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (rows: number, s: number) => `${Math.round(rows / s).toLocaleString('en-US').padStart(10)} rows/s  ${s.toFixed(2).padStart(6)} s`;

async function main() {
  fs.mkdirSync(WS, { recursive: true });
  const version = await ensureModel();
  const session = await DuckSession.open({ allowedDirectories: [WS] });
  try {
    const files = await ensureData(session);
    const scorer = await loadScorer(version);
    console.log(`batch prediction: ${ROWS.toLocaleString('en-US')} rows, ${version.model}:${version.version} (${JSON.stringify(version.card.params['model'] ?? version.card.params['hidden'] ?? '')}), engine ${(scorer as { engine?: string }).engine ?? 'tfjs'}, ${os.availableParallelism()} cores`);

    // The ceiling: the Scorer on 100k rows already in memory, in the same 8,192-row chunks.
    const sample = await session.rows(`SELECT * FROM read_parquet(${sqlString(files.parquet)}) LIMIT 100000`);
    const scoreTimes: number[] = [];
    for (let r = 0; r < REPEAT; r++) {
      const t0 = performance.now();
      for (let i = 0; i < sample.length; i += 8192) scorer.score(sample.slice(i, i + 8192));
      scoreTimes.push((performance.now() - t0) / 1000);
    }
    scorer.dispose();
    console.log(`  Scorer alone (rows in memory)     ${fmt(sample.length, median(scoreTimes))}`);

    const cases: { name: string; input: string; output: string; log?: boolean }[] = [{ name: 'Parquet -> Parquet', input: files.parquet, output: path.join(WS, 'out', 'predictions.parquet') }];
    if (args.includes('--csv')) cases.push({ name: 'CSV -> CSV', input: files.csv, output: path.join(WS, 'out', 'predictions.csv') });
    if (args.includes('--log')) cases.push({ name: 'Parquet -> Parquet, --log', input: files.parquet, output: path.join(WS, 'out', 'predictions-logged.parquet'), log: true });
    for (const c of cases) {
      const times: number[] = [];
      let rows = 0;
      for (let r = 0; r < REPEAT; r++) {
        const result = await predictBatch(session, version, await openSource(c.input), c.output, c.log ? { log: { root: WS } } : {});
        rows = result.rows;
        times.push(result.seconds);
      }
      console.log(`  predictBatch ${c.name.padEnd(21)} ${fmt(rows, median(times))}  (median of ${REPEAT}; output ${(fs.statSync(c.output).size / 1e6).toFixed(1)} MB)`);
    }
    if (args.includes('--log')) fs.rmSync(path.join(WS, '.prodml', 'logs'), { recursive: true, force: true });
  } finally {
    session.close();
  }
}

void main();
