import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession, sqlString } from '../../src/core/data/duckdb';
import { profileDatasets } from '../../src/core/data/profile';
import type { ColumnProfile, ProfileResult } from '../../src/core/data/profileTypes';
import { openSource } from '../../src/core/data/source';
import { isProdmlError } from '../../src/core/errors';
import { tempDir, writeMixedCsv } from '../helpers/fixtures';

const PY = '/usr/bin/python3';
const dir = tempDir();
let session: DuckSession;

before(async () => {
  session = await DuckSession.open({ allowedDirectories: [dir] });
});
after(() => session.close());

interface RefColumn {
  count: number;
  missing: number;
  distinct: number;
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  quantiles?: Record<string, number>;
  histogram?: number[];
  top?: Record<string, number>;
}

/** pandas/numpy on the same file, binned on the edges ProdML chose. */
function reference(file: string, result: ProfileResult): { rows: number; columns: Record<string, RefColumn> } {
  const edges: Record<string, number[]> = {};
  for (const c of result.columns) if (c.histogram && c.type !== 'timestamp') edges[c.name] = c.histogram.edges;
  const edgesFile = path.join(dir, `${path.basename(file)}.edges.json`);
  fs.writeFileSync(edgesFile, JSON.stringify(edges));
  const out = execFileSync(PY, [path.join(__dirname, '../reference/profile_reference.py'), file, edgesFile], { encoding: 'utf8' });
  return JSON.parse(out);
}

const col = (r: ProfileResult, name: string): ColumnProfile => {
  const c = r.columns.find((x) => x.name === name);
  assert.ok(c, `column ${name} is profiled`);
  return c;
};

function close(actual: number | null | undefined, expected: number, rel: number, what: string): void {
  assert.ok(typeof actual === 'number', `${what} is a number`);
  const tol = rel * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs reference ${expected} (tolerance ${tol})`);
}

describe('profileDatasets against pandas', () => {
  test('exact statistics on a file smaller than the quantile reservoir', async () => {
    const file = path.join(dir, 'mixed.csv');
    writeMixedCsv(file, 5000);
    const result = await profileDatasets(session, await openSource(file));
    const ref = reference(file, result);

    assert.equal(result.rows, ref.rows);
    assert.deepEqual(
      result.columns.map((c) => [c.name, c.type]),
      [
        ['age', 'int'],
        ['income', 'float'],
        ['kids', 'int'],
        ['city', 'string'],
        ['member', 'bool'],
        ['joined', 'timestamp'],
        ['source', 'string'],
        ['user_id', 'string'],
        ['note', 'string'],
      ],
    );
    for (const c of result.columns) {
      const rc = ref.columns[c.name]!;
      assert.equal(c.count, rc.count, `${c.name} count`);
      assert.equal(c.missing, rc.missing, `${c.name} missing`);
      // Exact below 10,000 distinct values (a HyperLogLog estimate above).
      assert.equal(c.distinct, rc.distinct, `${c.name} distinct`);
      assert.equal(c.distinctExact, true, `${c.name} distinct is exact`);
    }
    for (const name of ['age', 'income', 'kids']) {
      const c = col(result, name);
      const rc = ref.columns[name]!;
      close(c.mean, rc.mean!, 1e-12, `${name} mean`);
      close(c.std, rc.std!, 1e-9, `${name} std`);
      assert.equal(c.min, rc.min, `${name} min`);
      assert.equal(c.max, rc.max, `${name} max`);
      // Fewer values than the reservoir: quantiles are exact order statistics.
      assert.deepEqual(c.quantiles, rc.quantiles, `${name} quantiles`);
      assert.deepEqual(c.histogram!.counts, rc.histogram, `${name} histogram`);
      assert.equal(c.histogram!.counts.reduce((a, b) => a + b, 0), c.count, `${name} histogram covers every value`);
    }
    // Small integer ranges get one bin per value.
    assert.deepEqual(col(result, 'kids').histogram!.edges, [-0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);

    const city = col(result, 'city');
    assert.deepEqual(
      Object.fromEntries(city.top!.map((t) => [t.value, t.count])),
      ref.columns['city']!.top,
      'exact category counts, including a value with a comma',
    );
    assert.equal(city.otherCount, 0);
    const member = col(result, 'member');
    close(member.mean, ref.columns['member']!.top!['true']! / member.count, 1e-12, 'member fraction true');

    const joined = col(result, 'joined');
    assert.equal(joined.min, '2024-01-01T00:00:00.000Z');
    assert.ok(String(joined.max) <= '2024-12-31T00:00:00.000Z');
    assert.equal(joined.histogram!.counts.reduce((a, b) => a + b, 0), joined.count);
  });

  test('warnings flag constant, ID-like and mostly-missing columns and nothing else', async () => {
    const file = path.join(dir, 'mixed-warn.csv');
    writeMixedCsv(file, 2000, 11);
    const result = await profileDatasets(session, await openSource(file));
    const flagged = Object.fromEntries(result.columns.filter((c) => c.warnings.length).map((c) => [c.name, c.warnings.map((w) => w.code)]));
    assert.deepEqual(flagged, { source: ['constant'], user_id: ['high_cardinality'], note: ['mostly_missing'] });
    assert.match(col(result, 'note').warnings[0]!.message, /^8\d% of values are missing$/);
  });

  test('quantiles from the reservoir stay within 2.5% rank error on a larger file', async () => {
    const file = path.join(dir, 'big.parquet');
    await session.run(
      `COPY (SELECT (random() * 1000)::DOUBLE AS u, range AS i FROM range(200000)) TO ${sqlString(file)} (FORMAT parquet)`,
    );
    const result = await profileDatasets(session, await openSource(file));
    const u = col(result, 'u');
    // u is uniform on [0, 1000), so its p-quantile is 1000p and an error of 10 is 1% of rank.
    // A reservoir of 8192 has a rank standard error of at most 0.55% (at the median): allow 2.5%.
    for (const [k, q] of Object.entries({ p05: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95 })) {
      const v = u.quantiles![k as 'p50'] as number;
      assert.ok(Math.abs(v - 1000 * q) <= 25, `u ${k} = ${v}, expected ${1000 * q} within 2.5% rank`);
    }
    const i = col(result, 'i');
    assert.equal(i.count, 200000);
    assert.equal(i.min, 0);
    assert.equal(i.max, 199999);
    close(i.mean, 99999.5, 1e-12, 'i mean');
    // Past 10,000 distinct values the count is DuckDB's HyperLogLog estimate, flagged as such.
    assert.equal(i.distinctExact, false);
    close(i.distinct, 200000, 0.1, 'i distinct (estimate)');
    assert.deepEqual(i.histogram!.counts, new Array(20).fill(10000));
  });

  test('a compared dataset shares histogram edges and categories', async () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    fs.writeFileSync(a, 'x,c\n1.0,red\n2.0,red\n3.0,blue\n4.0,blue\n');
    fs.writeFileSync(b, 'x,c\n3.5,green\n7.0,red\n9.0,green\n');
    const result = await profileDatasets(session, await openSource(a), await openSource(b));
    const xa = col(result, 'x');
    const xb = result.compare!.columns.find((c) => c.name === 'x')!;
    assert.deepEqual(xa.histogram!.edges, xb.histogram!.edges);
    assert.equal(xa.histogram!.edges[0], 1);
    assert.equal(xa.histogram!.edges.at(-1), 9);
    assert.equal(xb.histogram!.counts.reduce((s, v) => s + v, 0), 3);
    const cb = result.compare!.columns.find((c) => c.name === 'c')!;
    assert.deepEqual(cb.top, [
      { value: 'green', count: 2 },
      { value: 'red', count: 1 },
    ]);
  });
});

test('a column whose type changed between the datasets keeps its own statistics', async () => {
  const a = path.join(dir, 'typed.csv');
  const b = path.join(dir, 'words.csv');
  fs.writeFileSync(a, 'plurality,d\n1,2024-01-01\n2,2024-01-02\n1,2024-01-03\n');
  fs.writeFileSync(b, 'plurality,d\nSingle,5\nTwins,6\nSingle,7\n');
  const result = await profileDatasets(session, await openSource(a), await openSource(b));
  const [pa, da] = result.columns;
  const [pb, db] = result.compare!.columns;
  assert.equal(pa!.type, 'int');
  assert.deepEqual(pa!.histogram!.counts, [2, 1]);
  assert.equal(pb!.type, 'string');
  assert.equal(pb!.histogram, undefined);
  assert.deepEqual(pb!.top, [
    { value: 'Single', count: 2 },
    { value: 'Twins', count: 1 },
  ]);
  assert.equal(da!.type, 'timestamp');
  assert.equal(db!.type, 'int');
  assert.deepEqual(db!.histogram!.counts, [1, 1, 1]);
});

describe('bad input gets a message naming the file and the problem', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['empty.csv', '', /empty\.csv: is empty/],
    ['header-only.csv', 'a,b\n', /header-only\.csv: has a header but no data rows/],
    ['ragged.csv', 'a,b\n1,2\n3,4,5\n6,7\n', /ragged\.csv: line 3 has 3 fields but the header \(line 1\) has 2/],
    ['latin1.csv', Buffer.from('name,city\nJos\xe9,S\xe3o Paulo\n', 'latin1'), /latin1\.csv: is not valid UTF-8 text/],
    ['utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,2\n', 'utf16le')]), /utf16\.csv: is UTF-16 encoded/],
    ['binary.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]), /binary\.csv: looks like a binary file/],
    ['fake.parquet', 'a,b\n1,2\n', /fake\.parquet: is not a Parquet file/],
    ['broken.jsonl', '{"a": 1}\n{"a": \n', /broken\.jsonl: is not valid JSON Lines/],
  ];
  for (const [name, content, expected] of cases) {
    test(name, async () => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      await assert.rejects(
        async () => profileDatasets(session, await openSource(file)),
        (e: unknown) => isProdmlError(e) && e.kind === 'bad_input' && expected.test(e.message),
      );
    });
  }
  test('a missing file, a directory and an unknown extension', async () => {
    await assert.rejects(openSource(path.join(dir, 'nope.csv')), /nope\.csv: file not found/);
    await assert.rejects(openSource(dir), /is a directory/);
    await assert.rejects(openSource(path.join(dir, 'x.xlsx')), /unsupported file type "\.xlsx"/);
  });
});

describe('DuckDB confinement and cancellation', () => {
  test('SQL cannot read outside the allowed directories', async () => {
    const outside = tempDir('prodml-outside-');
    const file = path.join(outside, 'secret.csv');
    fs.writeFileSync(file, 'a\n1\n');
    await assert.rejects(
      async () => profileDatasets(session, await openSource(file)),
      (e: unknown) => isProdmlError(e) && /outside the folders ProdML may read/.test(e.message),
    );
    await assert.rejects(session.rows(`SELECT * FROM read_csv(${sqlString(file)})`), /Permission Error/);
    await assert.rejects(session.run(`SET enable_external_access = true`), /lock_configuration|locked/i);
  });

  test('an aborted profile stops with a cancelled error and reports progress first', async () => {
    const file = path.join(dir, 'long.csv');
    await session.run(
      `COPY (SELECT range AS i, random() AS x, 'c' || (range % 1000)::VARCHAR AS s FROM range(6000000)) TO ${sqlString(file)} (FORMAT csv)`,
    );
    const abort = new AbortController();
    const phases: string[] = [];
    await assert.rejects(
      profileDatasets(session, await openSource(file), undefined, {
        signal: abort.signal,
        onProgress: (_f, phase) => {
          phases.push(phase);
          abort.abort();
        },
      }),
      (e: unknown) => isProdmlError(e) && e.kind === 'cancelled',
    );
    assert.ok(phases.length > 0, 'progress was reported');
    // The session is still usable after an interrupt.
    const [row] = await session.rows('SELECT 42 AS x');
    assert.equal(row!['x'], 42);
  });
});
