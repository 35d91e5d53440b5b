/**
 * Bounded memory when a database dataset is read row by row (`npm run bench:sources:memory`):
 * a PostgreSQL 15 table of 1M and 5M rows imported into DuckDB (what training and batch
 * prediction read), each import in a fresh child process, two ways:
 *   (a) all at once: the whole result in one fetch (one chunk of every row), then appended;
 *   (b) streamed: the server-side cursor, FETCH 10,000 rows at a time, each chunk appended and
 *       dropped (dbImport.ts, what ProdML does).
 *   (c) streamed again with node's old-generation heap capped at 64 MB: it must still finish.
 *   (d) streamed into a DuckDB session with the memory limit ProdML sets for database imports
 *       (dbImportMemoryLimitMb, 256 MB by default) and a spill directory: the table past the limit
 *       goes to disk, so RSS stays bounded too; the spill directory must be gone after close.
 *   (e) the same with a 64 MB limit, below the 5M-row table's size: the table itself spills.
 * Prints peak RSS, peak JS heap and time per run, and how much each grows from 1M to 5M rows;
 * what RSS gains beyond the heap is DuckDB's own columnar copy of the table (the data itself).
 * Both imports are checked against PostgreSQL's own count and sums.
 *
 *   node --import tsx bench/sourceMemory.bench.ts [--rows 1000000,5000000]
 */
import { spawnSync } from 'node:child_process';
import { openDbSource } from '../src/core/data/dbSource';
import fs from 'node:fs';
import { dbImportMemoryLimitMb, importIntoDuck } from '../src/core/data/dbImport';
import { DuckSession } from '../src/core/data/duckdb';
import { startPostgres } from '../test/helpers/dbServers';
import { tempDir } from '../test/helpers/fixtures';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};

interface ChildResult {
  rows: number;
  chunks: number;
  maxRssMB: number;
  peakHeapMB: number;
  seconds: number;
  sums: string;
  /** MB DuckDB had written to its spill directory after the import (capped runs). */
  spilledMB?: number;
}

const SUMS = `count(*)::VARCHAR || '|' || sum(id)::VARCHAR || '|' || sum(k)::VARCHAR || '|' || round(sum(x))::BIGINT::VARCHAR`;

/** One import in this process: prints its measurements as JSON. */
async function child(url: string, table: string, chunkRows: number, capMb: number): Promise<void> {
  let peakHeap = 0;
  const sample = () => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed));
  const timer = setInterval(sample, 20);
  const dir = tempDir('prodml-bench-mem-');
  const session = await DuckSession.open({ allowedDirectories: [dir], ...(capMb > 0 ? { memoryLimitMb: capMb } : {}) });
  let spillDir = '';
  const opened = await openDbSource({ name: table, url, table }, dir);
  try {
    const t0 = performance.now();
    const r = await importIntoDuck(session, opened, 'imported', { chunkRows });
    const seconds = (performance.now() - t0) / 1000;
    sample();
    const [s] = await session.rows(`SELECT ${SUMS} AS s FROM imported`);
    const [t] = capMb > 0 ? await session.rows(`SELECT current_setting('temp_directory') AS d, (SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files()) AS b`) : [];
    spillDir = String(t?.['d'] ?? '');
    const out: ChildResult = { rows: r.rows, chunks: r.chunks, maxRssMB: process.resourceUsage().maxRSS / 1024, peakHeapMB: peakHeap / 1e6, seconds, sums: String(s?.['s']), ...(capMb > 0 ? { spilledMB: Number(t?.['b']) / 2 ** 20 } : {}) };
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    clearInterval(timer);
    await opened.close();
    session.close();
  }
  if (spillDir && fs.existsSync(spillDir)) throw new Error(`spill directory ${spillDir} left behind`);
}

async function main(): Promise<void> {
  const sizes = arg('rows', '1000000,5000000').split(',').map(Number);
  const pg = await startPostgres();
  if ('skip' in pg) return void console.log(`PostgreSQL: skipped (${pg.skip})`);
  try {
    const { Client } = require('pg') as typeof import('pg');
    const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
    await c.connect();
    const results: { n: number; mode: string; r: ChildResult }[] = [];
    for (const n of sizes) {
      const table = `readings_${n}`;
      await c.query(`CREATE UNLOGGED TABLE ${table} AS SELECT g::int8 AS id, 20 + 5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS x,
        (g % 10)::int4 AS k, (ARRAY['Lyon', 'Oslo', 'Porto', 'Quito', 'Zurich', 'Tromso'])[1 + (g::int8 * 7919) % 6] AS city,
        timestamp '2024-01-01' + (g % 200) * interval '1 hour' AS at, exp(3 + random()) AS amount FROM generate_series(1, ${n}) g`);
      const expected = (await c.query(`SELECT count(*)::text || '|' || sum(id)::text || '|' || sum(k)::text || '|' || round(sum(x))::int8::text AS s FROM ${table}`)).rows[0].s as string;
      for (const [mode, chunkRows, node, capped] of [
        ['all at once', n + 1, [], 0],
        ['streamed (10,000-row chunks)', 10_000, [], 0],
        // The bound made hard: the whole import under a 64 MB old-generation heap.
        ['streamed, heap capped at 64 MB', 10_000, ['--max-old-space-size=64'], 0],
        [`streamed, DuckDB capped at ${dbImportMemoryLimitMb()} MB`, 10_000, [], dbImportMemoryLimitMb()],
        // A cap below the 5M-row table (about 160 MB): the table itself must spill.
        ['streamed, DuckDB capped at 64 MB', 10_000, [], 64],
      ] as const) {
        const run = spawnSync(process.execPath, [...node, '--import', 'tsx', __filename, '--child', table, '--url', pg.url, '--chunk', String(chunkRows), ...(capped ? ['--cap-mb', String(capped)] : [])], {
          encoding: 'utf8',
          env: { ...process.env, PGPASSWORD: pg.password },
          maxBuffer: 1 << 20,
        });
        if (run.status !== 0) {
          console.log(`${n.toLocaleString('en-US')} rows, ${mode}: failed (exit ${run.status}, ${run.signal ?? ''}): ${run.stderr.split('\n').filter(Boolean).slice(-2).join(' ')}`);
          continue;
        }
        const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ChildResult;
        if (r.sums !== expected) throw new Error(`${mode}: DuckDB ${r.sums} vs PostgreSQL ${expected}`);
        results.push({ n, mode, r });
        console.log(
          `${n.toLocaleString('en-US').padStart(9)} rows  ${mode.padEnd(34)} peak RSS ${r.maxRssMB.toFixed(0).padStart(6)} MB  peak JS heap ${r.peakHeapMB.toFixed(0).padStart(6)} MB  ${r.seconds.toFixed(1).padStart(6)} s  ${r.chunks} chunks${r.spilledMB !== undefined ? `  ${r.spilledMB.toFixed(0)} MB spilled` : ''}  (count and sums equal PostgreSQL's)`,
        );
      }
      await c.query(`DROP TABLE ${table}`);
    }
    await c.end();
    const [lo, hi] = [Math.min(...sizes), Math.max(...sizes)];
    for (const mode of new Set(results.map((x) => x.mode))) {
      const a = results.find((x) => x.mode === mode && x.n === lo)?.r;
      const b = results.find((x) => x.mode === mode && x.n === hi)?.r;
      if (a && b && lo !== hi) console.log(`${mode}: ${lo.toLocaleString('en-US')} -> ${hi.toLocaleString('en-US')} rows: peak JS heap x${(b.peakHeapMB / a.peakHeapMB).toFixed(2)}, peak RSS x${(b.maxRssMB / a.maxRssMB).toFixed(2)}`);
    }
  } finally {
    await pg.stop();
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  child(arg('url', ''), process.argv[childAt + 1]!, Number(arg('chunk', '10000')), Number(arg('cap-mb', '0'))).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
