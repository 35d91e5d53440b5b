/**
 * The safeness check's edge inputs read chunk by chunk from DuckDB (train/safenessSample.ts) are
 * the ones checkSafeness draws from the same rows held whole (`session.rows`), on planted columns
 * whose extremes sit in later chunks: numbers, text, numeric text, dates, booleans, all-missing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { checkEdges, checkSafeness, edgeInputs, UNSEEN_CATEGORY } from '../../src/core/evaluate/safeness';
import { edgeInputsOf } from '../../src/core/train/safenessSample';
import { tempDir } from '../helpers/fixtures';

let session: DuckSession;
const COLUMNS = ['x', 'big', 'city', 'code', 'day', 'flag', 'empty', 'mixed'];
// 7,000 rows: four DuckDB chunks. The planted extremes: x = -50 at row 4,321, x = 75.5 at row 6,999.
const SQL = `SELECT * FROM planted ORDER BY i LIMIT 7000`;

before(async () => {
  session = await DuckSession.open({ allowedDirectories: [tempDir('prodml-safeness-')] });
  await session.run(`CREATE TABLE planted AS SELECT i,
      CASE WHEN i = 4321 THEN -50.0 WHEN i = 6999 THEN 75.5 WHEN i % 13 = 0 THEN NULL ELSE (i % 100) / 10.0 END AS x,
      (i * 1000000)::BIGINT AS big,
      CASE WHEN i % 7 = 0 THEN NULL ELSE ['north', 'south', 'east'][i % 3 + 1] END AS city,
      CASE WHEN i = 5000 THEN '-3.25' ELSE (i % 50)::VARCHAR END AS code,
      DATE '2024-01-01' + (i % 400)::INTEGER AS day,
      i % 2 = 0 AS flag,
      NULL::DOUBLE AS empty,
      CASE WHEN i < 3000 THEN 'text' ELSE (i % 9)::VARCHAR END AS mixed
    FROM range(8000) t(i)`);
});
after(() => session.close());

describe('safeness edge inputs from a streamed sample', () => {
  test('the same edges and base row as checkSafeness on the rows held whole', async () => {
    const rows = await session.rows(SQL);
    const streamed = await edgeInputsOf(session, SQL, COLUMNS);
    assert.deepEqual(streamed.edges, edgeInputs(rows, COLUMNS));
    assert.deepEqual(streamed.base, Object.fromEntries(COLUMNS.map((c) => [c, rows[0]![c]])));
    const edge = (column: string) => streamed.edges.filter((e) => e.column === column).map((e) => e.value);
    // The planted extremes, from the third and fourth chunks, with 10x the range beyond each.
    assert.deepEqual(edge('x'), [null, -50, 75.5, -50 - 1255, 75.5 + 1255, 0]);
    assert.deepEqual(edge('code'), [null, -3.25, 49, -3.25 - 10 * 52.25, 49 + 10 * 52.25, 0]);
    assert.deepEqual(edge('city'), [null, UNSEEN_CATEGORY, '']);
    assert.deepEqual(edge('empty'), [null]);
    assert.deepEqual(edge('big').slice(1, 4), [0, 6_999_000_000, -10 * 6_999_000_000]);
    assert.equal(edge('mixed').length, 6, 'text mixed with numeric text gives the numbers edges');
  });

  test('scoring the edges gives the verdict checkSafeness gives', async () => {
    const rows = await session.rows(SQL);
    const { base, edges } = await edgeInputsOf(session, SQL, COLUMNS);
    // A model that breaks beyond x's range: the same first failure either way.
    const score = (batch: Record<string, unknown>[]) => batch.map((r) => (typeof r['x'] === 'number' && r['x'] > 100 ? Number.NaN : 0.5));
    const whole = checkSafeness(score, 1, rows, COLUMNS);
    assert.equal(whole.passed, false);
    assert.deepEqual(checkEdges(score, 1, base, edges), whole);
  });
});
