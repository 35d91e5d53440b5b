/**
 * Pushdown against pulling the rows (`npm run bench:sources`): a table of N rows (default 10M)
 * in PostgreSQL 15 and in a two-shard ClickHouse cluster (a Distributed table), profiled two
 * ways: (a) pushdown, the profiler's aggregate passes run inside the database and only
 * aggregates come back; (b) pull, every row streamed into DuckDB (what a file-only tool must do)
 * and profiled there. Prints wall time and bytes received from the server for each, and the
 * ratios. Both profiles are checked to agree on row count, means and top values.
 *
 *   node --import tsx bench/sources.bench.ts [--rows 10000000] [--only postgresql|clickhouse]
 */
import { openDbSource, type OpenedDbSource } from '../src/core/data/dbSource';
import { importIntoDuck } from '../src/core/data/dbImport';
import { DuckSession } from '../src/core/data/duckdb';
import { profileDatasets } from '../src/core/data/profile';
import type { ProfileResult } from '../src/core/data/profileTypes';
import { clickhouseExec, startClickHouseCluster, startPostgres } from '../test/helpers/dbServers';
import { tempDir } from '../test/helpers/fixtures';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const ROWS = Number(arg('rows', '10000000'));
const ONLY = arg('only', '');
const dir = tempDir('prodml-bench-sources-');

const MB = (b: number) => `${(b / 1e6).toFixed(b < 1e6 ? 3 : 1)} MB`;
const S = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface Measured {
  ms: number;
  bytes: number;
  profile: ProfileResult;
}

async function pushdown(opened: OpenedDbSource, session: DuckSession): Promise<Measured> {
  const b0 = opened.engine.bytesRead();
  const t0 = performance.now();
  const profile = await profileDatasets(session, opened.relation);
  return { ms: performance.now() - t0, bytes: opened.engine.bytesRead() - b0, profile };
}

async function pull(opened: OpenedDbSource, session: DuckSession): Promise<Measured> {
  const b0 = opened.engine.bytesRead();
  const t0 = performance.now();
  const imported = await importIntoDuck(session, opened, 'bench_pulled', { chunkRows: 50_000 });
  const profile = await profileDatasets(session, imported.source);
  await session.run('DROP TABLE bench_pulled');
  return { ms: performance.now() - t0, bytes: opened.engine.bytesRead() - b0, profile };
}

function agree(a: ProfileResult, b: ProfileResult): string {
  if (a.rows !== b.rows) return `rows differ: ${a.rows} vs ${b.rows}`;
  for (const c of a.columns) {
    const o = b.columns.find((x) => x.name === c.name);
    if (!o) return `column ${c.name} missing`;
    if (typeof c.mean === 'number' && Math.abs(c.mean - (o.mean as number)) > 1e-9 * Math.max(1, Math.abs(c.mean))) return `${c.name} mean ${c.mean} vs ${o.mean}`;
    if (c.top && JSON.stringify(c.top) !== JSON.stringify(o.top)) return `${c.name} top values differ`;
  }
  return 'agree (rows, means, top values)';
}

function report(engine: string, push: Measured, pulled: Measured): void {
  console.log(`\n${engine}, ${ROWS.toLocaleString('en-US')} rows x ${push.profile.columns.length} columns`);
  console.log(`  pushdown : ${S(push.ms).padStart(9)}  ${MB(push.bytes).padStart(12)} received`);
  console.log(`  pull     : ${S(pulled.ms).padStart(9)}  ${MB(pulled.bytes).padStart(12)} received  (rows streamed into DuckDB, then profiled)`);
  console.log(`  pull / pushdown: ${(pulled.ms / push.ms).toFixed(1)}x time, ${(pulled.bytes / Math.max(1, push.bytes)).toFixed(0)}x bytes; profiles ${agree(push.profile, pulled.profile)}`);
}

const CITIES = `['Lyon', 'Oslo', 'Porto', 'Quito', 'Zurich', 'Tromso']`;

async function main(): Promise<void> {
  const session = await DuckSession.open({ allowedDirectories: [dir], preserveInsertionOrder: false });
  try {
    if (ONLY !== 'clickhouse') {
      const pg = await startPostgres();
      if ('skip' in pg) console.log(`PostgreSQL: skipped (${pg.skip})`);
      else {
        try {
          const t0 = performance.now();
          const { Client } = require('pg') as typeof import('pg');
          const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
          await c.connect();
          await c.query(`CREATE UNLOGGED TABLE readings AS SELECT g::int8 AS id, 20 + 5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS x,
            (g % 10)::int4 AS k, (ARRAY${CITIES})[1 + (g::int8 * 7919) % 6] AS city, date '2024-01-01' + (g % 200)::int AS day, exp(3 + random()) AS amount
            FROM generate_series(1, ${ROWS}) g`);
          await c.query('ANALYZE readings');
          await c.end();
          console.log(`PostgreSQL: loaded ${ROWS.toLocaleString('en-US')} rows in ${S(performance.now() - t0)}`);
          const opened = await openDbSource({ name: 'readings', url: pg.url, table: 'readings' }, dir, { env: { PGPASSWORD: pg.password } });
          try {
            const push = await pushdown(opened, session);
            const pulled = await pull(opened, session);
            report('PostgreSQL 15', push, pulled);
          } finally {
            await opened.close();
          }
        } finally {
          await pg.stop();
        }
      }
    }
    if (ONLY !== 'postgresql') {
      const ch = await startClickHouseCluster();
      if ('skip' in ch) console.log(`ClickHouse: skipped (${ch.skip})`);
      else {
        try {
          const t0 = performance.now();
          const ddl = `CREATE TABLE readings_local (id Int64, x Float64, k Int32, city String, day Date, amount Float64) ENGINE = MergeTree() ORDER BY id`;
          for (const port of ch.httpPorts) await clickhouseExec(port, ddl);
          await clickhouseExec(ch.httpPorts[0], `CREATE TABLE readings AS readings_local ENGINE = Distributed(${ch.cluster}, default, readings_local, id)`);
          const half = Math.ceil(ROWS / 2);
          await Promise.all(
            ch.httpPorts.map((port, s) =>
              clickhouseExec(
                port,
                `INSERT INTO readings_local SELECT number * 2 + ${s + 1} AS id, 20 + 5 * sqrt(-2 * log(1 - rand(1) / 4294967296)) * cos(2 * pi() * rand(2) / 4294967296) AS x,
                 toInt32(id % 10) AS k, ${CITIES}[1 + (id * 7919) % 6] AS city, toDate('2024-01-01') + (id % 200) AS day, exp(3 + rand(3) / 4294967296) AS amount
                 FROM numbers(${s === 0 ? half : ROWS - half})`,
              ),
            ),
          );
          console.log(`ClickHouse: loaded ${ROWS.toLocaleString('en-US')} rows over 2 shards in ${S(performance.now() - t0)}`);
          const opened = await openDbSource({ name: 'readings', url: ch.url, table: 'readings' }, dir);
          try {
            const push = await pushdown(opened, session);
            const pulled = await pull(opened, session);
            report('ClickHouse 18.16, Distributed table over 2 shards', push, pulled);
          } finally {
            await opened.close();
          }
        } finally {
          await ch.stop();
        }
      }
    }
  } finally {
    session.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
