/**
 * Database datasets from the built CLI, as users run it: `prodml profile <dataset>`,
 * `prodml validate <dataset>`, `prodml train` on a database dataset (lineage card with the
 * redacted URL and an engine-computed fingerprint), and every bad source (unreachable host, wrong
 * password, missing table, failing query, unmappable column type, non-SELECT) exiting 2 with the
 * dataset and the cause named, never a password, never hanging.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, startPostgres, type Postgres } from '../helpers/dbServers';
import { tempDir } from '../helpers/fixtures';
import { loadPostgres, loadSqlite, makeRows, writeCsv } from '../helpers/sourceFixtures';

const Database3 = require('better-sqlite3') as typeof import('better-sqlite3');

const CLI = path.join(__dirname, '../../dist/cli.js');
const ws = tempDir('prodml-sources-cli-');
const N = 1200;
const rows = makeRows(N, 3);
const WRONG = 'not-the-password-42';
let pg: Postgres | { skip: string };

/** The child sees no PG* variables of ours: credentials come from the workspace's .env. */
function prodml(args: string[], env: NodeJS.ProcessEnv = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', timeout: 60_000, env: { ...clean, ...env } });
  if (process.env.DEBUG_CLI) console.error(args.join(" "), "=>", r.status, r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined };
}

before(async () => {
  pg = await startPostgres();
  fs.mkdirSync(path.join(ws, 'data'));
  loadSqlite(path.join(ws, 'data', 'rows.db'), 'readings', rows);
  const closed = await freePort();
  const url = 'port' in pg ? pg.url : 'postgresql://postgres@127.0.0.1:1/postgres';
  fs.writeFileSync(
    path.join(ws, 'weather.schema.yaml'),
    'features:\n  id: {type: int}\n  x: {type: float, range: {min: 10, max: 30}}\n  k: {type: int}\n  city: {type: string}\n  day: {type: timestamp}\n  amount: {type: float}\n  flag: {type: bool}\n',
  );
  fs.writeFileSync(
    path.join(ws, 'prodml.yaml'),
    `datasets:
  weather:
    url: ${url}
    table: readings
    schema: weather.schema.yaml
  weather_secret:
    url: ${url.replace('postgres@', 'postgres:${PG_PW}@')}
    table: readings
    time_column: day
  weather_lite:
    url: sqlite:///data/rows.db
    table: readings
    time_column: day
  wrong_password:
    url: ${url.replace('postgres@', 'postgres:${WRONG_PW}@')}
    table: readings
  unreachable:
    url: postgresql://postgres@127.0.0.1:${closed}/postgres
    table: readings
  blackhole:
    url: postgresql://postgres@10.255.255.1:5432/postgres
    table: readings
    connect_timeout: 1
  missing_table:
    url: ${url}
    table: no_such_table
  failing_query:
    url: ${url}
    query: SELECT * FROM readings WHERE 1 / (k - k) > 0
  bad_type:
    url: ${url}
    query: |-
      SELECT id, '{"a": 1}'::jsonb AS payload FROM readings
  slow_query:
    url: ${url}
    query: SELECT r.* FROM readings r, pg_sleep(5)
    query_timeout: 1
  not_select:
    url: ${url}
    query: DELETE FROM readings
  sneaky_write:
    url: ${url}
    query: WITH gone AS (DELETE FROM readings RETURNING *) SELECT * FROM gone
models:
  amount_lite:
    dataset: weather_lite
    label: amount
    task: regression
    features: {x: standardize, k: standardize, city: one_hot}
    training: {epochs: 2}
  amount_pg:
    dataset: weather_secret
    label: amount
    task: regression
    features: {x: standardize, k: standardize, city: one_hot}
    training: {epochs: 2}
`,
  );
  if ('password' in pg) fs.writeFileSync(path.join(ws, '.env'), `PGPASSWORD=${pg.password}\nWRONG_PW=${WRONG}\nPG_PW=${pg.password}\n`);
  if ('port' in pg) await loadPostgres(pg, 'readings', rows);
});

after(async () => {
  if (pg && 'stop' in pg) await pg.stop();
});

describe('database datasets on the CLI', () => {
  test('prodml profile <sqlite dataset> --json profiles the table in place', () => {
    const r = prodml(['profile', 'weather_lite', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.rows, N);
    assert.equal(doc.format, 'sqlite');
    assert.equal(doc.columns.find((c: { name: string }) => c.name === 'k').count, N);
  });

  test('prodml profile <postgres dataset>: password from .env, never printed', (t) => {
    if ('skip' in pg) return t.skip(pg.skip);
    const r = prodml(['profile', 'weather', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.rows, N);
    assert.equal(doc.format, 'postgresql');
    assert.ok(!r.stdout.includes(pg.password) && !r.stderr.includes(pg.password));
    // compare a database dataset with a file on the same bins
    const text = prodml(['profile', 'weather', '--compare', 'weather_lite']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /dataset weather \(postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres, table readings\): 1,200 rows/);
  });

  test('prodml validate <dataset> uses its schema and pushes the checks down (exit 1 on errors)', (t) => {
    if ('skip' in pg) return t.skip(pg.skip);
    const r = prodml(['validate', 'weather', '--format', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    const range = doc.anomalies.find((a: { feature: string; type: string }) => a.feature === 'x' && a.type === 'out_of_range');
    assert.equal(range.count, rows.filter((x) => x.x !== null && (x.x < 10 || x.x > 30)).length);
    assert.equal(doc.rows, N);
  });

  test('prodml train on a database dataset: the card records the source and an engine fingerprint', () => {
    const r = prodml(['train', 'amount_lite', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { version } = JSON.parse(r.stdout);
    const card = JSON.parse(fs.readFileSync(path.join(ws, '.prodml', 'registry', 'amount_lite', String(version), 'card.json'), 'utf8'));
    const [d] = card.training_data.datasets;
    assert.equal(d.url, 'sqlite:///data/rows.db');
    assert.equal(d.table, 'readings');
    assert.equal(d.rows, N);
    assert.match(d.content_hash, /^sha256:[0-9a-f]{64}$/);
    const days = rows.map((x) => x.day).sort();
    // the time range of the training split: inside the table's, and spanning most of it
    const tr = card.training_data.time_range as { min: string; max: string };
    assert.ok(tr.min.slice(0, 10) >= days[0]! && tr.max.slice(0, 10) <= days.at(-1)! && tr.min < tr.max, JSON.stringify(tr));
    assert.equal(card.training_data.time_column, 'day');
    // The same rows give the same fingerprint; one changed row changes it.
    const again = prodml(['train', 'amount_lite', '--json']);
    const card2 = JSON.parse(fs.readFileSync(path.join(ws, '.prodml', 'registry', 'amount_lite', String(JSON.parse(again.stdout).version), 'card.json'), 'utf8'));
    assert.equal(card2.training_data.datasets[0].content_hash, d.content_hash);
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(path.join(ws, 'data', 'rows.db'));
    db.prepare('UPDATE readings SET amount = amount + 1 WHERE id = 7').run();
    db.close();
    const third = prodml(['train', 'amount_lite', '--json']);
    const card3 = JSON.parse(fs.readFileSync(path.join(ws, '.prodml', 'registry', 'amount_lite', String(JSON.parse(third.stdout).version), 'card.json'), 'utf8'));
    assert.notEqual(card3.training_data.datasets[0].content_hash, d.content_hash);
  });

  test('prodml train on a PostgreSQL dataset: the card has the redacted URL, table, row count, time range and fingerprint from PostgreSQL, and no password', async (t) => {
    if ('skip' in pg) return t.skip(pg.skip);
    const p = pg;
    const { Client } = require('pg') as typeof import('pg');
    const c = new Client({ host: p.host, port: p.port, user: p.user, password: p.password, database: p.database });
    await c.connect();
    try {
      const train = () => {
        const r = prodml(['train', 'amount_pg', '--json']);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(!r.stdout.includes(p.password) && !r.stderr.includes(p.password));
        const file = path.join(ws, '.prodml', 'registry', 'amount_pg', String(JSON.parse(r.stdout).version), 'card.json');
        const bytes = fs.readFileSync(file);
        assert.equal(bytes.indexOf(p.password), -1, 'no password in the card file');
        return JSON.parse(bytes.toString('utf8'));
      };
      const card = train();
      const [d] = card.training_data.datasets;
      // (the reference: PostgreSQL's own count and min/max of the time column)
      const [ref] = (await c.query(`SELECT count(*)::int AS n, min(day)::text AS first, max(day)::text AS last FROM readings`)).rows;
      assert.equal(d.url, p.url.replace('postgres@', 'postgres:***@'));
      assert.equal(d.table, 'readings');
      assert.equal(d.rows, ref.n);
      assert.deepEqual(d.time_range, { min: `${ref.first}T00:00:00.000Z`, max: `${ref.last}T00:00:00.000Z` });
      assert.match(d.content_hash, /^sha256:[0-9a-f]{64}$/);
      // the training split's range lies inside the dataset's
      assert.ok(card.training_data.time_range.min >= d.time_range.min && card.training_data.time_range.max <= d.time_range.max);
      // Nothing ProdML wrote holds the password.
      const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
      for (const f of walk(path.join(ws, '.prodml'))) assert.equal(fs.readFileSync(f).indexOf(p.password), -1, f);
      // The fingerprint is the rows': the same rows give the same one, one changed value another.
      assert.equal(train().training_data.datasets[0].content_hash, d.content_hash);
      const [{ id }] = (await c.query('SELECT min(id)::int AS id FROM readings WHERE city IS NOT NULL')).rows;
      await c.query(`UPDATE readings SET city = city || '!' WHERE id = ${id}`);
      try {
        assert.notEqual(train().training_data.datasets[0].content_hash, d.content_hash);
      } finally {
        await c.query(`UPDATE readings SET city = left(city, -1) WHERE id = ${id}`);
      }
    } finally {
      await c.end();
    }
  });

  test('prodml predict / evaluate take a database dataset as input: the same outputs as the same rows in a file', () => {
    const now = new Database3(path.join(ws, 'data', 'rows.db'), { readonly: true });
    const current = now.prepare('SELECT * FROM readings ORDER BY id').all() as Record<string, unknown>[];
    now.close();
    writeCsv(path.join(ws, 'rows.csv'), current.map((r) => ({ ...r, flag: r['flag'] === 1 })) as never);
    const fromDb = prodml(['predict', 'amount_lite:1', '--input', 'weather_lite', '--output', 'from_db.csv', '--json']);
    assert.equal(fromDb.code, 0, fromDb.stderr);
    assert.equal(JSON.parse(fromDb.stdout).rows, N);
    const fromFile = prodml(['predict', 'amount_lite:1', '--input', 'rows.csv', '--output', 'from_file.csv']);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(fs.readFileSync(path.join(ws, 'from_db.csv'), 'utf8'), fs.readFileSync(path.join(ws, 'from_file.csv'), 'utf8'));
    const evDb = prodml(['evaluate', 'amount_lite:1', '--data', 'weather_lite', '--json']);
    const evFile = prodml(['evaluate', 'amount_lite:1', '--data', 'rows.csv', '--json']);
    assert.equal(evDb.code, 0, evDb.stderr);
    assert.deepEqual(JSON.parse(evDb.stdout).metrics, JSON.parse(evFile.stdout).metrics);
    assert.equal(JSON.parse(evDb.stdout).rows, N);
  });

  test('prodml models compare --data <database dataset>: the same comparison as on the same rows in a file', () => {
    const fromDb = prodml(['models', 'compare', 'amount_lite', '1', '2', '--data', 'weather_lite', '--json']);
    assert.equal(fromDb.code, 0, fromDb.stderr);
    const fromFile = prodml(['models', 'compare', 'amount_lite', '1', '2', '--data', 'rows.csv', '--json']);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const strip = (text: string) => JSON.stringify(JSON.parse(text), (k, v) => (k === 'data' || k === 'source' || k === 'elapsedMs' ? undefined : v));
    assert.equal(strip(fromDb.stdout), strip(fromFile.stdout));
    assert.match(fromDb.stdout, new RegExp(`"rows": ${N}\\b`));
  });

  test('prodml advise serving --data <database dataset> and predict --static --input <dataset>: as on the same rows in a file', () => {
    const advice = (data: string) => {
      const r = prodml(['advise', 'serving', 'amount_lite', '--data', data, '--key', 'city', '--json']);
      assert.equal(r.code, 0, r.stderr);
      // (everything but the words naming where the keys came from)
      return JSON.parse(r.stdout, (k, v) => (k === 'source' || k === 'elapsedMs' ? undefined : typeof v === 'string' ? v.replace(data === 'rows.csv' ? 'rows.csv' : /dataset weather_lite \([^)]*\)/, '<data>') : v));
    };
    assert.deepEqual(advice('weather_lite'), advice('rows.csv'));
    const table = (input: string, out: string) => {
      const r = prodml(['predict', 'amount_lite:1', '--static', '--input', input, '--key', 'city', '--output', out, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const a = table('weather_lite', 'static_db.parquet');
    const b = table('rows.csv', 'static_file.parquet');
    assert.equal(a.rows, b.rows);
    assert.ok(a.rows >= 1);
  });

  test('prodml schema infer <dataset>, then validate <dataset> against it: no errors', () => {
    const r = prodml(['schema', 'infer', 'weather_lite', '--label', 'amount', '-o', 'lite.schema.yaml']);
    assert.equal(r.code, 0, r.stderr);
    const text = fs.readFileSync(path.join(ws, 'lite.schema.yaml'), 'utf8');
    assert.match(text, /city:\n\s+type: string/);
    assert.match(text, /inferred by prodml .* from 1,200 rows/);
    const v = prodml(['validate', 'weather_lite', '--schema', 'lite.schema.yaml', '--format', 'json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  test('prodml validate <file> without --schema takes the schema that governs it (as the editor does); none: exit 2 saying so', () => {
    fs.writeFileSync(path.join(ws, 'rows_copy.csv'), fs.readFileSync(path.join(ws, 'rows.csv')));
    const none = prodml(['validate', 'rows_copy.csv']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /rows_copy\.csv: no schema governs it .*give --schema/);
    fs.writeFileSync(path.join(ws, 'rows_copy.schema.yaml'), 'features:\n  x: {type: float, range: {min: 10, max: 30}}\n');
    const r = prodml(['validate', 'rows_copy.csv', '--format', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.schema, 'rows_copy.schema.yaml');
    assert.ok(doc.anomalies.some((a: { feature: string; type: string }) => a.feature === 'x' && a.type === 'out_of_range'));
  });

  const bad: [string, RegExp][] = [
    ['wrong_password', /authentication failed for user postgres/],
    ['unreachable', /cannot connect to 127\.0\.0\.1:\d+: connection refused/],
    // Depending on the network: silence (the connect timeout), an ICMP error, or a middlebox closing the connection.
    ['blackhole', /cannot connect to 10\.255\.255\.1:5432: (no answer within 1 s|network unreachable|the connection was closed before the server answered)/],
    ['missing_table', /table not found: relation "no_such_table" does not exist/],
    ['failing_query', /the query failed: division by zero/],
    ['bad_type', /column "payload" has type jsonb, which ProdML cannot map/],
    ['slow_query', /the query took longer than the 1 s query timeout/],
    ['not_select', /datasets\.not_select\.query: is not a SELECT statement \(it starts with DELETE\)/],
    ['sneaky_write', /datasets\.sneaky_write\.query: is not a read-only SELECT: it contains DELETE/],
  ];
  for (const [name, cause] of bad) {
    for (const command of ['profile', 'validate']) {
      test(`${command} ${name}: exit 2, the dataset and the cause named, no secret`, (t) => {
        if ('skip' in pg && name !== 'unreachable' && name !== 'blackhole' && name !== 'not_select' && name !== 'sneaky_write') return t.skip(pg.skip);
        const args = command === 'profile' ? ['profile', name] : ['validate', name, '--schema', 'weather.schema.yaml'];
        const r = prodml(args);
        assert.equal(r.timedOut, false);
        assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, cause);
        assert.match(r.stderr, new RegExp(`${name}`));
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.ok(!r.stderr.includes(WRONG), 'the wrong password is not shown');
        if ('password' in pg) assert.ok(!r.stderr.includes(pg.password));
      });
    }
  }
});
