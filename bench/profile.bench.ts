/**
 * npm run bench:profile — our full profile against DuckDB's SUMMARIZE on the same data, in the
 * same process, on 1M and 10M rows of ~10 mixed columns, as CSV and Parquet.
 * Target: profile time at most 0.5x SUMMARIZE's on Parquet.
 * Usage: bench/profile.bench.ts [--rows 1000000,10000000] [--repeat 3]
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckSession, sqlString } from '../src/core/data/duckdb';
import { profileDatasets } from '../src/core/data/profile';
import { openSource } from '../src/core/data/source';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const ROWS = arg('--rows', '1000000,10000000').split(',').map(Number);
const REPEAT = Number(arg('--repeat', '3'));
const DATA = path.join(__dirname, '.data');

/** ~10 columns of mixed types with nulls, skew and categories of varied cardinality. */
function generator(rows: number): string {
  return `SELECT
    range AS id,
    (18 + (hash(range) % 45))::INTEGER AS age,
    CASE WHEN hash(range * 3) % 50 = 0 THEN NULL ELSE exp(10 + 0.7 * sqrt(-2 * ln(1 - ((hash(range * 5) % 1000000) + 0.5) / 1000000)) * cos(2 * pi() * (hash(range * 7) % 1000) / 1000)) END AS income,
    ((hash(range * 11) % 100000) / 1000.0)::DOUBLE AS score,
    (hash(range * 13) % 6)::INTEGER AS kids,
    ['north', 'south', 'east', 'west', 'central'][1 + (hash(range * 17) % 5)::INTEGER] AS region,
    CASE WHEN hash(range * 19) % 20 = 0 THEN NULL ELSE 'cat_' || (hash(range * 23) % 500)::VARCHAR END AS category,
    hash(range * 29) % 3 = 0 AS member,
    DATE '2024-01-01' + (hash(range * 31) % 366)::INTEGER AS event_date,
    'u' || (hash(range * 37) % ${Math.max(1, Math.floor(rows / 2))})::VARCHAR AS user_key
  FROM range(${rows})`;
}

async function ensureData(session: DuckSession, rows: number): Promise<{ csv: string; parquet: string }> {
  fs.mkdirSync(DATA, { recursive: true });
  const base = path.join(DATA, `mixed-${rows}`);
  const files = { csv: `${base}.csv`, parquet: `${base}.parquet` };
  if (!fs.existsSync(files.parquet)) {
    process.stderr.write(`generating ${rows.toLocaleString()} rows...\n`);
    await session.run(`COPY (${generator(rows)}) TO ${sqlString(files.parquet)} (FORMAT parquet)`);
    await session.run(`COPY (SELECT * FROM read_parquet(${sqlString(files.parquet)})) TO ${sqlString(files.csv)} (FORMAT csv, HEADER)`);
  }
  return files;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  // As `prodml profile` and the editor's profile open it.
  const session = await DuckSession.open({ allowedDirectories: [DATA], preserveInsertionOrder: false });
  const results: string[] = [];
  const header = `${'data'.padEnd(22)} ${'profile s'.padStart(10)} ${'SUMMARIZE s'.padStart(12)} ${'ratio'.padStart(7)} ${'profile rows/s'.padStart(16)}`;
  for (const rows of ROWS) {
    const files = await ensureData(session, rows);
    for (const format of ['parquet', 'csv'] as const) {
      const file = files[format];
      const src = await openSource(file);
      const ours: number[] = [];
      const theirs: number[] = [];
      // Alternate so that neither side profits from a warmer cache.
      for (let i = 0; i < REPEAT; i++) {
        theirs.push(await time(() => session.rows(`SUMMARIZE SELECT * FROM ${src.scan}`)));
        ours.push(await time(() => profileDatasets(session, src)));
      }
      const o = median(ours);
      const t = median(theirs);
      const line = `${`${(rows / 1e6).toString()}M ${format}`.padEnd(22)} ${o.toFixed(3).padStart(10)} ${t.toFixed(3).padStart(12)} ${(o / t).toFixed(2).padStart(6)}x ${Math.round(rows / o).toLocaleString('en-US').padStart(16)}`;
      results.push(line);
      process.stdout.write((results.length === 1 ? header + '\n' : '') + line + '\n');
    }
  }
  session.close();
  process.stdout.write(`\nmedian of ${REPEAT} runs each; ratio = profile / SUMMARIZE (target on Parquet: <= 0.50x)\n`);
}

void main();
