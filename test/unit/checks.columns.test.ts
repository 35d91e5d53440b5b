/** The checks' raw columns give back, row by row, the value DuckDB's row objects hold, for each type a dataset column can have. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readRawColumns } from '../../src/core/checks/datasetColumns';
import { DuckSession } from '../../src/core/data/duckdb';
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
      // Tokens: equal exactly where the values are (rows 0 and 3 are copies; row 1 and 2 differ from them).
      assert.equal(c.token(0), c.token(3), name);
      assert.notEqual(c.token(0), c.token(2), name);
      if (rows[1]![name] !== rows[2]![name]) assert.notEqual(c.token(1), c.token(2), name);
    }
    assert.equal(raw.get('s')!.value(1), '');
    assert.equal(raw.get('s')!.value(2), null);
  } finally {
    session.close();
  }
});
