/**
 * Parquet is validated in place (a view over the file, schema/loadBatch.ts parquetView) so memory
 * stays flat at any row count. Its results must be the copied table's: the same anomalies, kinds,
 * counts, messages, examples and rows, on a single file and on a glob of files, with planted
 * anomalies of every kind a Parquet file can carry, counted here from the planting.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession, sqlString } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { parseSchema } from '../../src/core/schema/io';
import type { Schema, ValidationResult } from '../../src/core/schema/types';
import { validateData } from '../../src/core/schema/validate';
import { tempDir } from '../helpers/fixtures';

const dir = tempDir('prodml-validate-parquet-');
const ROWS = 4000;
let session: DuckSession;
let schema: Schema;

// Planted per 4,000 rows: amount out of range where i % 97 = 5 (42 rows), color 'violet' where
// i % 151 = 7 (27 rows), items fractional (not an int) where i % 211 = 3 (19 rows), score missing
// in a third of rows (presence 0.9 required), a column the schema does not know (extra), and
// the schema's 'region' column absent.
const generator = (n: number, from: number) => `SELECT
    range + ${from} AS id,
    CASE WHEN (range + ${from}) % 97 = 5 THEN 1000.0 + range ELSE (range % 50)::DOUBLE END AS amount,
    CASE WHEN (range + ${from}) % 211 = 3 THEN 2.5 ELSE (range % 7)::DOUBLE END AS items,
    CASE WHEN (range + ${from}) % 151 = 7 THEN 'violet' ELSE ['red', 'green', 'blue'][(range % 3) + 1] END AS color,
    CASE WHEN (range + ${from}) % 3 = 0 THEN NULL ELSE range * 0.5 END AS score,
    range % 2 AS extra
  FROM range(${n})`;

const planted = (from: number, to: number, mod: number, rest: number) => {
  let n = 0;
  for (let i = from; i < to; i++) if (i % mod === rest) n++;
  return n;
};

before(async () => {
  fs.mkdirSync(path.join(dir, 'one'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'many'), { recursive: true });
  session = await DuckSession.open({ allowedDirectories: [dir] });
  await session.run(`COPY (${generator(ROWS, 0)}) TO ${sqlString(path.join(dir, 'one', 'all.parquet'))} (FORMAT parquet)`);
  // The same rows in three files of unequal sizes, named so their order is the rows' order.
  await session.run(`COPY (${generator(1500, 0)}) TO ${sqlString(path.join(dir, 'many', 'part-a.parquet'))} (FORMAT parquet)`);
  await session.run(`COPY (${generator(1000, 1500)}) TO ${sqlString(path.join(dir, 'many', 'part-b.parquet'))} (FORMAT parquet)`);
  await session.run(`COPY (${generator(1500, 2500)}) TO ${sqlString(path.join(dir, 'many', 'part-c.parquet'))} (FORMAT parquet)`);
  schema = schemaOf(
    `features:
  id: {type: int}
  amount: {type: float, range: {min: 0, max: 100}}
  items: {type: int}
  color: {type: string, domain: [red, green, blue]}
  score: {type: float, presence: {min_fraction: 0.9}}
  region: {type: string}
`,
  );
});
after(() => session?.close());

function schemaOf(text: string): Schema {
  const parsed = parseSchema(text);
  assert.ok(parsed.schema, JSON.stringify(parsed.issues));
  return parsed.schema;
}

const withoutTime = (r: ValidationResult) => ({ ...r, elapsedMs: 0 });

describe('Parquet validated in place', () => {
  for (const [name, file] of [
    ['one file', 'one/all.parquet'],
    ['a glob of three files', 'many/*.parquet'],
  ] as const) {
    for (const max of [100, 5]) {
      test(`${name}, ${max} rows listed per anomaly: the copied table's result`, async () => {
        const src = await openSource(path.join(dir, file));
        const inPlace = await validateData(session, src, schema, { maxRowDiagnostics: max });
        const copied = await validateData(session, src, schema, { maxRowDiagnostics: max, inPlace: false });
        assert.deepEqual(withoutTime(inPlace), withoutTime(copied));
        assert.equal(inPlace.rows, ROWS);

        // The planted anomalies, counted from the planting.
        const total = (feature: string, type: string) => {
          const of = inPlace.anomalies.filter((a) => a.feature === feature && a.type === type);
          const summary = of.find((a) => a.count !== undefined);
          return summary ? summary.count : of.length;
        };
        assert.equal(total('amount', 'out_of_range'), planted(0, ROWS, 97, 5));
        assert.equal(total('color', 'out_of_domain'), planted(0, ROWS, 151, 7));
        assert.equal(total('items', 'type_mismatch'), planted(0, ROWS, 211, 3));
        assert.equal(total('score', 'low_presence'), 1);
        assert.equal(total('region', 'missing_column'), 1);
        assert.equal(total('extra', 'new_column'), 1);
        // Rows are numbered within their file, as a person opening that file would count them.
        const firstRange = inPlace.anomalies.find((a) => a.feature === 'amount' && a.type === 'out_of_range' && a.row !== undefined)!;
        assert.equal(firstRange.row, 6);
        if (file.startsWith('many')) {
          const inB = inPlace.anomalies.filter((a) => a.feature === 'amount' && a.file?.endsWith('part-b.parquet'));
          if (max === 100) assert.equal(inB.length, planted(1500, 2500, 97, 5));
          for (const a of inB) assert.equal((1500 + a.row! - 1) % 97, 5);
        }
      });
    }
  }

  test('drift against a Parquet baseline: the copied tables\' result', async () => {
    const src = await openSource(path.join(dir, 'many', 'part-c.parquet'));
    const baseline = await openSource(path.join(dir, 'many', 'part-a.parquet'));
    const inPlace = await validateData(session, src, schema, { baseline });
    const copied = await validateData(session, src, schema, { baseline, inPlace: false });
    assert.deepEqual(withoutTime(inPlace), withoutTime(copied));
  });

  test('the most common offending values: grouped by value, named by text, -0 apart from 0', async () => {
    const file = path.join(dir, 'one', 'zeros.parquet');
    // Out of range (at least 1): 0 five times, -0 three times, 0.5 twice, then 40 values once each.
    await session.run(
      `COPY (SELECT range AS id, CASE WHEN range < 5 THEN 0.0::DOUBLE WHEN range < 8 THEN -0.0::DOUBLE WHEN range < 10 THEN 0.5 WHEN range < 50 THEN -range::DOUBLE ELSE 2.0 END AS t FROM range(200)) TO ${sqlString(file)} (FORMAT parquet)`,
    );
    const r = await validateData(session, await openSource(file), schemaOf('features:\n  id: {type: int}\n  t: {type: float, range: {min: 1}}\n'), { maxRowDiagnostics: 3 });
    const summary = r.anomalies.find((a) => a.type === 'out_of_range' && a.count !== undefined)!;
    assert.equal(summary.count, 50);
    const byText = await session.rows(
      `SELECT t::VARCHAR AS v, count(*) AS n, min(id) AS rid FROM read_parquet(${sqlString(file)}) WHERE t < 1 GROUP BY 1 ORDER BY n DESC, v LIMIT 10`,
    );
    assert.deepEqual(
      summary.examples!.map((e) => [e.value, e.count, e.row]),
      byText.map((x) => [String(x['v']), Number(x['n']), Number(x['rid']) + 1]),
    );
    assert.deepEqual(summary.examples!.slice(0, 3).map((e) => [e.value, e.count]), [['0.0', 5], ['-0.0', 3], ['0.5', 2]]);
  });

  test('a file with a column named rowid is copied, and still validated', async () => {
    const file = path.join(dir, 'one', 'rowid.parquet');
    await session.run(`COPY (SELECT id AS rowid, amount FROM read_parquet(${sqlString(path.join(dir, 'one', 'all.parquet'))})) TO ${sqlString(file)} (FORMAT parquet)`);
    const s = schemaOf('features:\n  rowid: {type: int}\n  amount: {type: float, range: {min: 0, max: 100}}\n');
    const r = await validateData(session, await openSource(file), s);
    assert.equal(r.anomalies.filter((a) => a.type === 'out_of_range').length, planted(0, ROWS, 97, 5));
  });
});
