/** Database URLs: credentials from ${VAR}, PG* variables and .env; redaction; the SELECT-only rule. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { checkSelect, environmentOf, redactUrl, resolveDbUrl, scrub } from '../../src/core/data/dbUrl';
import { isProdmlError } from '../../src/core/errors';
import { tempDir } from '../helpers/fixtures';

const root = tempDir('prodml-url-');

const rejects = (f: () => unknown, re: RegExp) =>
  assert.throws(f, (e: unknown) => {
    assert.ok(isProdmlError(e));
    assert.match((e as Error).message, re);
    return true;
  });

describe('database URLs', () => {
  test('the password is redacted, written literally or as ${VAR}', () => {
    assert.equal(redactUrl('postgresql://ana:s3cret@db:5432/shop'), 'postgresql://ana:***@db:5432/shop');
    assert.equal(redactUrl('postgresql://ana:${PW}@db/shop'), 'postgresql://ana:***@db/shop');
    assert.equal(redactUrl('postgresql://ana@db/shop'), 'postgresql://ana@db/shop');
    assert.equal(redactUrl('sqlite:///data/x.db'), 'sqlite:///data/x.db');
    assert.equal(scrub('auth failed for s3cret and s3cret', ['s3cret']), 'auth failed for *** and ***');
  });

  test('${VAR} expands from the environment; an unset one is named, not guessed', () => {
    const ep = resolveDbUrl('postgresql://${U}:${PW}@${H}:6543/shop', { U: 'ana', PW: 'p@ss:w/rd', H: '10.0.0.5' }, root, 'datasets.x.url');
    assert.deepEqual(ep, { kind: 'postgresql', host: '10.0.0.5', port: 6543, user: 'ana', password: 'p@ss:w/rd', database: 'shop' });
    rejects(() => resolveDbUrl('postgresql://ana:${NOPE}@db/shop', {}, root, 'datasets.x.url'), /datasets\.x\.url: \$\{NOPE\} in postgresql:\/\/ana:\*\*\*@db\/shop is not set/);
  });

  test('PG* variables fill what the URL leaves out', () => {
    const ep = resolveDbUrl('postgresql:///', { PGHOST: 'pg.internal', PGPORT: '5433', PGUSER: 'etl', PGPASSWORD: 'pw', PGDATABASE: 'dw' }, root, 'w');
    assert.deepEqual(ep, { kind: 'postgresql', host: 'pg.internal', port: 5433, user: 'etl', password: 'pw', database: 'dw' });
    const ch = resolveDbUrl('clickhouse://ch1/events', { CLICKHOUSE_USER: 'reader', CLICKHOUSE_PASSWORD: 'x' }, root, 'w');
    assert.deepEqual(ch, { kind: 'clickhouse', host: 'ch1', port: 8123, user: 'reader', password: 'x', database: 'events' });
  });

  test('a .env file supplies variables the environment lacks, never overrides them', () => {
    fs.writeFileSync(path.join(root, '.env'), 'PGPASSWORD=from-file\nOTHER="quoted value"\n');
    const env = environmentOf(root, { PATH: '/bin' });
    assert.equal(env['PGPASSWORD'], 'from-file');
    assert.equal(env['OTHER'], 'quoted value');
    assert.equal(environmentOf(root, { PGPASSWORD: 'from-env' })['PGPASSWORD'], 'from-env');
  });

  test('sqlite: relative to the workspace with three slashes, absolute with four', () => {
    assert.equal(resolveDbUrl('sqlite:///data/x.db', {}, root, 'w').file, path.join(root, 'data/x.db'));
    assert.equal(resolveDbUrl('sqlite:////var/db/x.db', {}, root, 'w').file, '/var/db/x.db');
    rejects(() => resolveDbUrl('mysql://db/x', {}, root, 'w'), /not a database URL ProdML reads/);
  });

  test('only one read-only SELECT passes', () => {
    assert.equal(checkSelect('SELECT * FROM t;', 'q'), 'SELECT * FROM t');
    assert.equal(checkSelect("with a as (select 1) select * from a where note = 'delete me; now'", 'q').startsWith('with'), true);
    assert.equal(checkSelect('SELECT "update", created_at FROM t -- drop table t', 'q'), 'SELECT "update", created_at FROM t -- drop table t');
    rejects(() => checkSelect('DELETE FROM t', 'q'), /q: is not a SELECT statement \(it starts with DELETE\)/);
    rejects(() => checkSelect('SELECT 1; DROP TABLE t', 'q'), /more than one statement/);
    rejects(() => checkSelect('SELECT * INTO copy FROM t', 'q'), /not a read-only SELECT: it contains INTO/);
    rejects(() => checkSelect('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', 'q'), /contains DELETE/);
  });
});
