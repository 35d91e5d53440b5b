/**
 * Profile pushdown: the same rows as a CSV (DuckDB), a PostgreSQL table, a SQLite file and a
 * ClickHouse Distributed table over two shards give the same profile: counts, missing, distinct,
 * mean, std, min, max, histograms and top values exact (1e-9), quantiles within each engine's
 * documented error, measured as rank error against the sorted values themselves.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importIntoDuck } from '../../src/core/data/dbImport';
import { openDbSource, type OpenedDbSource } from '../../src/core/data/dbSource';
import { DuckSession } from '../../src/core/data/duckdb';
import { profileDatasets } from '../../src/core/data/profile';
import { QUANTILE_KEYS, QUANTILE_LEVELS, type ColumnProfile, type ProfileResult } from '../../src/core/data/profileTypes';
import { openSource } from '../../src/core/data/source';
import { startClickHouseCluster, startPostgres, type ClickHouseCluster, type Postgres } from '../helpers/dbServers';
import { tempDir } from '../helpers/fixtures';
import { loadClickHouse, loadPostgres, loadSqlite, makeRows, writeCsv, type SourceRow } from '../helpers/sourceFixtures';

const dir = tempDir('prodml-sources-');
const N = 3000;
const rows = makeRows(N);
let session: DuckSession;
let duck: ProfileResult;
let pg: Postgres | { skip: string };
let ch: ClickHouseCluster | { skip: string };

before(async () => {
  writeCsv(path.join(dir, 'rows.csv'), rows);
  writeCsv(path.join(dir, 'rows_ch.csv'), rows, ['id', 'x', 'k', 'city', 'day', 'amount']);
  loadSqlite(path.join(dir, 'rows.db'), 'readings', rows);
  session = await DuckSession.open({ allowedDirectories: [dir] });
  duck = await profileDatasets(session, await openSource(path.join(dir, 'rows.csv')));
  [pg, ch] = await Promise.all([startPostgres(), startClickHouseCluster()]);
  if ('port' in pg) await loadPostgres(pg, 'readings', rows);
  if ('httpPorts' in ch) await loadClickHouse(ch, 'readings', rows);
});

after(async () => {
  session?.close();
  if (pg && 'stop' in pg) await pg.stop();
  if (ch && 'stop' in ch) await ch.stop();
});

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);

/** The column's values as numbers (dates as epoch ms), sorted, for rank checks. */
function sortedValues(name: string): number[] {
  const v = rows.map((r) => r[name as keyof SourceRow]).filter((x) => x !== null) as (number | string)[];
  return v.map((x) => (typeof x === 'string' ? Date.parse(x) : x)).sort((a, b) => a - b);
}

/** How far (as a fraction of rows) the value's rank is from the level: 0 when some rank of v matches. */
function rankError(sorted: number[], v: number, level: number): number {
  let below = 0;
  let atOrBelow = 0;
  for (const x of sorted) {
    if (x < v) below++;
    if (x <= v) atOrBelow++;
  }
  const n = sorted.length;
  const lo = below / n;
  const hi = atOrBelow / n;
  return level < lo ? lo - level : level > hi ? level - hi : 0;
}

function compareProfiles(ref: ProfileResult, got: ProfileResult, quantileRankError: number): void {
  assert.equal(got.rows, ref.rows);
  for (const c of got.columns) {
    const r = ref.columns.find((x) => x.name === c.name) as ColumnProfile;
    assert.ok(r, c.name);
    const at = `${got.format} ${c.name}`;
    assert.equal(c.type, r.type, `${at} type`);
    assert.equal(c.count, r.count, `${at} count`);
    assert.equal(c.missing, r.missing, `${at} missing`);
    if (c.distinctExact && r.distinctExact) assert.equal(c.distinct, r.distinct, `${at} distinct`);
    for (const k of ['mean', 'std'] as const) if (r[k] !== undefined) close(c[k] as number, r[k] as number, `${at} ${k}`);
    for (const k of ['min', 'max'] as const) {
      if (typeof r[k] === 'number') close(c[k] as number, r[k] as number, `${at} ${k}`);
      else assert.equal(c[k], r[k], `${at} ${k}`);
    }
    assert.deepEqual(c.histogram, r.histogram, `${at} histogram`);
    assert.deepEqual(c.top, r.top, `${at} top`);
    assert.equal(c.otherCount, r.otherCount, `${at} other`);
    if (r.quantiles) {
      const sorted = sortedValues(c.name);
      for (const q of QUANTILE_KEYS) {
        const v = c.quantiles?.[q];
        assert.ok(v !== undefined, `${at} ${q}`);
        const x = typeof v === 'string' ? Date.parse(v) : v;
        const err = rankError(sorted, x, QUANTILE_LEVELS[q]);
        assert.ok(err <= quantileRankError, `${at} ${q} = ${v}: rank error ${err} > ${quantileRankError}`);
      }
    }
  }
  // The comparison has substance: the numeric columns were binned and the strings counted.
  for (const name of ['x', 'k', 'amount']) assert.ok((got.columns.find((c) => c.name === name)?.histogram?.counts.length ?? 0) > 1, `${got.format} ${name} histogram`);
  assert.ok((got.columns.find((c) => c.name === 'city')?.top?.length ?? 0) === 6, `${got.format} city top`);
  assert.deepEqual(
    got.columns.map((c) => c.name),
    ref.columns.map((c) => c.name).filter((n) => got.columns.some((c) => c.name === n)),
  );
}

async function profileDb(url: string, table: string, env: NodeJS.ProcessEnv = {}): Promise<ProfileResult> {
  let opened: OpenedDbSource | undefined;
  try {
    opened = await openDbSource({ name: 'readings', url, table }, dir, { env });
    return await profileDatasets(session, opened.relation);
  } finally {
    await opened?.close();
  }
}

describe('rows streamed in bounded chunks (training and batch input)', () => {
  async function streamed(url: string, env: NodeJS.ProcessEnv, chunkRows: number) {
    const opened = await openDbSource({ name: 'readings', url, table: 'readings' }, dir, { env });
    try {
      const r = await importIntoDuck(session, opened, 'streamed', { chunkRows });
      const [sums] = await session.rows(`SELECT count(*) AS n, sum(id) AS ids, sum(x) AS xs, count(city) AS cities, min(day)::VARCHAR AS first FROM streamed`);
      await session.run('DROP TABLE streamed');
      return { r, sums: sums! };
    } finally {
      await opened.close();
    }
  }
  const expected = () => ({
    n: N,
    ids: (N * (N + 1)) / 2,
    cities: rows.filter((r) => r.city !== null).length,
    first: rows.map((r) => r.day).sort()[0],
  });
  const check = ({ r, sums }: Awaited<ReturnType<typeof streamed>>, chunkRows: number) => {
    assert.equal(r.rows, N);
    assert.equal(r.chunks, Math.ceil(N / chunkRows));
    assert.ok(r.maxChunkRows <= chunkRows);
    const { xs, ...rest } = sums;
    assert.deepEqual(rest, expected());
    close(xs as number, rows.reduce((a, x) => a + (x.x ?? 0), 0), 'sum x');
  };

  test('SQLite', async () => check(await streamed('sqlite:///rows.db', {}, 700), 700));

  test('PostgreSQL (a server-side cursor)', async (t) => {
    if ('skip' in pg) return t.skip(pg.skip);
    check(await streamed(pg.url, { PGPASSWORD: pg.password }, 500), 500);
  });

  test('PostgreSQL, 97-row chunks: the same rows as PostgreSQL itself counts and checksums them', async (t) => {
    if ('skip' in pg) return t.skip(pg.skip);
    const p = pg;
    // One checksum, written in each engine's own SQL over the same rows: counts, exact integer
    // sums (floats at their stored decimals) and md5 over every string column in id order.
    const checksum = (cast: (x: string) => string) =>
      `SELECT count(*) AS n, count(x) AS xs, sum(id) AS ids, sum(k * id) AS kid, sum(${cast('round(x * 1000000)')}) AS x6, sum(${cast('round(amount * 10000)')}) AS a4,
         sum(CASE WHEN flag THEN id ELSE 0 END) AS flags, md5(string_agg(city, ',' ORDER BY id)) AS cities, md5(string_agg(CAST(day AS VARCHAR), ',' ORDER BY id)) AS days`;
    const { Client } = require('pg') as typeof import('pg');
    const c = new Client({ host: p.host, port: p.port, user: p.user, password: p.password, database: p.database });
    await c.connect();
    const [ref] = (await c.query(`${checksum((x) => `(${x})::int8`)} FROM readings`)).rows as Record<string, unknown>[];
    await c.end();
    const opened = await openDbSource({ name: 'readings', url: p.url, table: 'readings' }, dir, { env: { PGPASSWORD: p.password } });
    try {
      const r = await importIntoDuck(session, opened, 'checksummed', { chunkRows: 97 });
      assert.equal(r.chunks, Math.ceil(N / 97));
      assert.ok(r.maxChunkRows <= 97);
      const [got] = await session.rows(`${checksum((x) => `CAST(${x} AS BIGINT)`)} FROM checksummed`);
      const asText = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
      assert.deepEqual(asText(got!), asText(ref!));
      assert.equal(Number(ref!['n']), N);
      assert.match(String(ref!['cities']), /^[0-9a-f]{32}$/);
      await session.run('DROP TABLE checksummed');
    } finally {
      await opened.close();
    }
  });

  test('PostgreSQL into a DuckDB session capped at 64 MB (as database imports are, at 256 MB by default): the table outgrows it, spills to disk, equals PostgreSQL, and the spill folder is removed', async (t) => {
    if ('skip' in pg) return t.skip(pg.skip);
    const p = pg;
    // About 90 MB of text (300,000 rows of 288 characters): past a 64 MB limit, so DuckDB must spill.
    const WIDE = 300_000;
    const { Client } = require('pg') as typeof import('pg');
    const c = new Client({ host: p.host, port: p.port, user: p.user, password: p.password, database: p.database });
    await c.connect();
    await c.query(`CREATE UNLOGGED TABLE wide AS SELECT g::int8 AS id, repeat(md5(g::text), 9) AS pad FROM generate_series(1, ${WIDE}) g`);
    // Per-row md5s summed (their first 32 bits), in each engine's own SQL: no aggregate that holds every string.
    const sums = (hex: string) => `count(*) AS n, sum(id) AS ids, sum(length(pad)) AS chars, sum(${hex}) AS pads`;
    const [ref] = (await c.query(`SELECT ${sums(`('x' || lpad(substr(md5(pad), 1, 8), 16, '0'))::bit(64)::int8`)} FROM wide`)).rows as Record<string, unknown>[];
    const capped = await DuckSession.open({ allowedDirectories: [dir], memoryLimitMb: 64 });
    let spillDir = '';
    const opened = await openDbSource({ name: 'wide', url: p.url, table: 'wide' }, dir, { env: { PGPASSWORD: p.password } });
    try {
      const r = await importIntoDuck(capped, opened, 'wide', { chunkRows: 10_000 });
      assert.equal(r.rows, WIDE);
      const [setting] = await capped.rows(`SELECT current_setting('memory_limit') AS lim, current_setting('temp_directory') AS tmp, (SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files()) AS spilled`);
      spillDir = String(setting!['tmp']);
      assert.match(String(setting!['lim']), /^(6[0-9]|5[0-9])\.?\d* MiB$/, `memory_limit ${String(setting!['lim'])}`);
      assert.ok(Number(setting!['spilled']) > 0, 'nothing spilled: the table did not outgrow the limit');
      const [got] = await capped.rows(`SELECT ${sums(`CAST('0x' || substr(md5(pad), 1, 8) AS BIGINT)`)} FROM wide`);
      const asText = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
      assert.deepEqual(asText(got!), asText(ref!));
    } finally {
      await opened.close();
      capped.close();
      await c.query('DROP TABLE wide');
      await c.end();
    }
    assert.ok(spillDir.length > 0 && !fs.existsSync(spillDir), `spill folder ${spillDir} left behind`);
  });

  test('ClickHouse (a streamed response)', async (t) => {
    if ('skip' in ch) return t.skip(ch.skip);
    // no flag column in ClickHouse; the rest is the same rows
    check(await streamed(ch.url, {}, 1000), 1000);
  });
});

describe('ClickHouse bad input', () => {
  test('wrong password and missing table: the dataset and cause, no secret', async (t) => {
    if ('skip' in ch) return t.skip(ch.skip);
    const wrong = ch.url.replace('//', '//prodml:not-it-123@');
    await assert.rejects(openDbSource({ name: 'events', url: wrong, table: 'readings' }, dir), (e: Error) => {
      assert.match(e.message, /^dataset events \(clickhouse:\/\/prodml:\*\*\*@127\.0\.0\.1:\d+\/default, table readings\): authentication failed for user prodml/);
      assert.ok(!e.message.includes('not-it-123'));
      return true;
    });
    await assert.rejects(openDbSource({ name: 'events', url: ch.url, table: 'nope' }, dir), /dataset events .*: table not found: Table default\.nope doesn't exist/);
    await assert.rejects(openDbSource({ name: 'events', url: ch.url, query: 'SELECT [1, 2] AS arr' }, dir), /column "arr" has type Array\(UInt8\), which ProdML cannot map/);
  });
});

describe('profile pushdown equals DuckDB on the same rows', () => {
  test('DuckDB itself: quantiles are exact below the reservoir size (the reference is sound)', () => {
    const x = duck.columns.find((c) => c.name === 'x')!;
    assert.equal(x.count, rows.filter((r) => r.x !== null).length);
    for (const q of QUANTILE_KEYS) assert.ok(rankError(sortedValues('x'), x.quantiles![q] as number, QUANTILE_LEVELS[q]) <= 1 / N);
  });

  test('SQLite file', async () => {
    const got = await profileDb('sqlite:///rows.db', 'readings');
    assert.equal(got.format, 'sqlite');
    assert.equal(got.columns.length, 7);
    compareProfiles(duck, got, 1 / N);
  });

  test('PostgreSQL table, password from PGPASSWORD', async (t) => {
    if ('skip' in pg) return t.skip(pg.skip);
    const got = await profileDb(pg.url, 'readings', { PGPASSWORD: pg.password });
    assert.equal(got.columns.length, 7);
    compareProfiles(duck, got, 1 / N);
    // bool: the share of true, as DuckDB computes it
    close(got.columns.find((c) => c.name === 'flag')!.mean as number, rows.filter((r) => r.flag).length / N, 'flag mean');
  });

  test('PostgreSQL query, password from ${VAR} in the URL', async (t) => {
    if ('skip' in pg) return t.skip(pg.skip);
    const url = pg.url.replace('postgres@', 'postgres:${PROD_PG_PW}@');
    const opened = await openDbSource({ name: 'readings', url, query: 'SELECT id, x, city FROM readings WHERE k < 3' }, dir, { env: { PROD_PG_PW: pg.password } });
    try {
      const got = await profileDatasets(session, opened.relation);
      assert.equal(got.rows, rows.filter((r) => r.k < 3).length);
      assert.ok(!opened.source.display.includes(pg.password));
      assert.match(opened.source.display, /postgres:\*\*\*@/);
    } finally {
      await opened.close();
    }
  });

  test('ClickHouse Distributed table over two shards', async (t) => {
    if ('skip' in ch) return t.skip(ch.skip);
    const ref = await profileDatasets(session, await openSource(path.join(dir, 'rows_ch.csv')));
    const url = ch.url.replace('//', `//prodml:${ch.password}@`);
    const got = await profileDb(url, 'readings');
    assert.equal(got.format, 'clickhouse');
    assert.equal(got.columns.length, 6);
    // quantilesTDigest: about 1% rank error (ClickHouse documentation), plus one row of discreteness.
    compareProfiles(ref, got, 0.01 + 1 / N);
  });
});
