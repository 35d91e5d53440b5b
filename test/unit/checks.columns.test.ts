/** The checks' raw columns give back, row by row, the value DuckDB's row objects hold, for each type a dataset column can have; rows group into classes of equal values as text keys would group them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readRawColumns } from '../../src/core/checks/datasetColumns';
import { groupRows, mixHashes, numberHash, RowClasses, sameNumber } from '../../src/core/checks/rowClasses';
import { DuckSession } from '../../src/core/data/duckdb';
import { Rng } from '../../src/core/demo/random';
import { tempDir } from '../helpers/fixtures';

test('raw columns read as row objects hold them: text (empty and null kept apart), numbers, booleans, instants, and the rest', async () => {
  const dir = tempDir('prodml-rawcols-');
  const session = await DuckSession.open({ allowedDirectories: [dir] });
  try {
    await session.run(`CREATE TEMP TABLE t AS SELECT * FROM (VALUES
      (0, 'a', true, 3::TINYINT, 10::BIGINT, 1.5::DOUBLE, 1.25::DECIMAL(5,2), DATE '2024-01-02', TIMESTAMP '2024-01-02 03:04:05', TIMESTAMPTZ '2024-01-02 03:04:05+00', 'x'::ENUM('x','y'), TIME '03:04:05', 12::HUGEINT),
      (1, '', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'y'::ENUM('x','y'), NULL, NULL),
      (2, NULL, NULL, -1::TINYINT, -5::BIGINT, -0.25::DOUBLE, -2.5::DECIMAL(5,2), DATE '1999-12-31', TIMESTAMP '1970-01-01 00:00:00', TIMESTAMPTZ '2030-06-01 12:00:00+00', NULL, TIME '23:59:59', -3::HUGEINT),
      (3, 'a', true, 3::TINYINT, 10::BIGINT, 1.5::DOUBLE, 1.25::DECIMAL(5,2), DATE '2024-01-02', TIMESTAMP '2024-01-02 03:04:05', TIMESTAMPTZ '2024-01-02 03:04:05+00', 'x'::ENUM('x','y'), TIME '03:04:05', 12::HUGEINT)
    ) v(__row, s, b, ti, bi, d, dc, dt, ts, tz, en, tm, hi)`);
    const described = await session.rows(`DESCRIBE SELECT * EXCLUDE (__row) FROM t`);
    const columns = described.map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
    const rows = await session.rows(`SELECT * EXCLUDE (__row) FROM t ORDER BY __row`);
    const raw = await readRawColumns(session, { table: 't', rows: rows.length, columns }, columns.map((c) => c.name));
    for (const { name } of columns) {
      const c = raw.get(name)!;
      rows.forEach((r, i) => {
        assert.deepEqual(c.value(i), r[name], `${name}, row ${i}`);
        const x = r[name];
        const n = x === null ? Number.NaN : x instanceof Date ? x.getTime() : typeof x === 'boolean' ? Number(x) : typeof x === 'string' ? (x.trim() === '' ? Number.NaN : Number(x)) : Number(x);
        assert.ok(Object.is(c.number(i), n) || (Number.isNaN(c.number(i)) && Number.isNaN(n)), `${name}, row ${i}: ${c.number(i)} vs ${n}`);
      });
      // Equal exactly where the values are (rows 0 and 3 are copies; rows 1 and 2 differ from them), hashes alike for equals.
      assert.ok(c.same(0, 3) && c.hash(0) === c.hash(3), name);
      assert.ok(!c.same(0, 2), name);
      assert.equal(c.same(1, 2), rows[1]![name] === rows[2]![name], name);
      assert.ok(c.same(1, 1) && c.same(2, 2), `${name}: a missing value equals itself`);
    }
    assert.equal(raw.get('s')!.value(1), '');
    assert.equal(raw.get('s')!.value(2), null);
  } finally {
    session.close();
  }
});

test('row classes equal the groups of a text key per row, even when every row shares one hash', () => {
  const rng = new Rng(11);
  const n = 3000;
  const w = 3;
  // Few distinct values, so rows repeat; -0 and 0 and NaN planted (one class each, as their text is).
  const x = Float64Array.from({ length: n * w }, () => [0, -0, 1.5, 2, Number.NaN][rng.int(0, 4)]!);
  const text = (k: number) => Array.from(x.subarray(k * w, (k + 1) * w), (v) => (Object.is(v, -0) ? 0 : v)).join(',');
  const byText = new Map<string, number[]>();
  for (let k = 0; k < n; k++) byText.set(text(k), [...(byText.get(text(k)) ?? []), k]);
  const expected = [...byText.values()].filter((g) => g.length > 1);
  const same = (a: number, b: number) => [0, 1, 2].every((c) => sameNumber(x[a * w + c]!, x[b * w + c]!));
  for (const hash of [(k: number) => mixHashes(w, (c) => numberHash(x[k * w + c]!)), () => 7]) {
    const { groups, classOf } = groupRows(n, hash, same);
    assert.deepEqual(groups, expected);
    assert.ok(groups.length > 50, `${groups.length} groups`);
    for (let k = 0; k < n; k++) assert.equal(classOf[k] === classOf[byText.get(text(k))![0]!], true);
  }
  assert.equal(numberHash(0), numberHash(-0));
  assert.equal(numberHash(Number.NaN), numberHash(0 / 0));
  const classes = new RowClasses(() => 1, (a, b) => a % 10 === b % 10);
  assert.deepEqual([0, 10, 3, 13, 23].map((i) => classes.classOf(i)), [0, 0, 1, 1, 1]);
  assert.equal(classes.classOf(5, false), -1);
});
