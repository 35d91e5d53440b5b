/**
 * Validation pushdown: planted defects in the same rows, validated from a CSV by DuckDB and
 * pushed down into PostgreSQL, SQLite and the ClickHouse Distributed table, give the same
 * anomalies: the same (feature, type) pairs with the same counts and severities, and the same
 * drift distance against a baseline file.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDbSource } from '../../src/core/data/dbSource';
import { DuckSession } from '../../src/core/data/duckdb';
import { fileRelation } from '../../src/core/data/profile';
import { openSource } from '../../src/core/data/source';
import { validateRelation } from '../../src/core/schema/pushdown';
import type { Anomaly, Schema, ValidationResult } from '../../src/core/schema/types';
import { validateData } from '../../src/core/schema/validate';
import { startClickHouseCluster, startPostgres, type ClickHouseCluster, type Postgres } from '../helpers/dbServers';
import { tempDir } from '../helpers/fixtures';
import { loadClickHouse, loadPostgres, loadSqlite, makeRows, writeCsv } from '../helpers/sourceFixtures';

const dir = tempDir('prodml-sources-validate-');
const N = 2500;
const rows = makeRows(N, 5);
const baselineRows = makeRows(N, 6).map((r) => ({ ...r, x: r.x === null ? null : r.x - 4 }));

const schema: Schema = {
  num_examples: { min: 5000 },
  features: {
    id: { type: 'int' },
    x: { type: 'float', presence: { min_fraction: 0.99 }, range: { min: 10, max: 30 }, drift: { jensen_shannon: { threshold: 0.05 } } },
    k: { type: 'int', range: { max: 5 } },
    city: { type: 'string', domain: ['Lyon', 'Oslo', 'Porto', 'Quito'], min_domain_mass: 0.8 },
    day: { type: 'timestamp' },
    amount: { type: 'int' },
    wind: { type: 'float' },
  },
};

let session: DuckSession;
let pg: Postgres | { skip: string };
let ch: ClickHouseCluster | { skip: string };

before(async () => {
  writeCsv(path.join(dir, 'rows.csv'), rows);
  writeCsv(path.join(dir, 'rows_ch.csv'), rows, ['id', 'x', 'k', 'city', 'day', 'amount']);
  writeCsv(path.join(dir, 'baseline.csv'), baselineRows);
  loadSqlite(path.join(dir, 'rows.db'), 'readings', rows);
  session = await DuckSession.open({ allowedDirectories: [dir] });
  [pg, ch] = await Promise.all([startPostgres(), startClickHouseCluster()]);
  if ('port' in pg) await loadPostgres(pg, 'readings', rows);
  if ('httpPorts' in ch) await loadClickHouse(ch, 'readings', rows);
});

after(async () => {
  session?.close();
  if (pg && 'stop' in pg) await pg.stop();
  if (ch && 'stop' in ch) await ch.stop();
});

/** Per (feature, type): severity, how many offending rows (a file lists the first ones by line, then one summary with the total), the measured value. */
function tally(r: ValidationResult): Map<string, { severity: string; total: number; value?: number | string }> {
  const out = new Map<string, { severity: string; total: number; value?: number | string }>();
  const groups = new Map<string, Anomaly[]>();
  for (const a of r.anomalies) groups.set(`${a.feature}|${a.type}`, [...(groups.get(`${a.feature}|${a.type}`) ?? []), a]);
  for (const [key, list] of groups) {
    const summary = list.find((a) => a.count !== undefined);
    const rowLevel = list.filter((a) => a.line !== undefined || a.row !== undefined);
    const total = summary?.count ?? (rowLevel.length > 0 ? rowLevel.length : list.length);
    const value = list.find((a) => a.value !== undefined)?.value;
    out.set(key, { severity: list[0]!.severity, total, ...(value !== undefined ? { value } : {}) });
  }
  return out;
}

function assertSameAnomalies(ref: ValidationResult, got: ValidationResult, skip: RegExp = /^$/): void {
  const a = tally(ref);
  const b = tally(got);
  const keys = [...a.keys()].filter((k) => !skip.test(k)).sort();
  assert.deepEqual([...b.keys()].filter((k) => !skip.test(k)).sort(), keys);
  for (const k of keys) {
    const x = a.get(k)!;
    const y = b.get(k)!;
    assert.equal(y.severity, x.severity, `${k} severity`);
    assert.equal(y.total, x.total, `${k} count`);
    if (typeof x.value === 'number') assert.ok(Math.abs((y.value as number) - x.value) <= 1e-9, `${k} value ${y.value} vs ${x.value}`);
  }
}

async function validateDb(url: string, env: NodeJS.ProcessEnv = {}): Promise<ValidationResult> {
  const opened = await openDbSource({ name: 'readings', url, table: 'readings' }, dir, { env });
  try {
    return await validateRelation(opened.relation, schema, { baseline: fileRelation(session, await openSource(path.join(dir, 'baseline.csv'))) });
  } finally {
    await opened.close();
  }
}

describe('validation pushdown equals DuckDB on the same rows', () => {
  let duck: ValidationResult;
  before(async () => {
    duck = await validateData(session, await openSource(path.join(dir, 'rows.csv')), schema, { baseline: await openSource(path.join(dir, 'baseline.csv')) });
  });

  test('the planted defects are found by the file path (the reference counts them right)', () => {
    const t = tally(duck);
    assert.equal(t.get('x|out_of_range')?.total, rows.filter((r) => r.x !== null && (r.x < 10 || r.x > 30)).length);
    assert.equal(t.get('k|out_of_range')?.total, rows.filter((r) => r.k > 5).length);
    assert.equal(t.get('city|out_of_domain')?.total, rows.filter((r) => r.city !== null && !['Lyon', 'Oslo', 'Porto', 'Quito'].includes(r.city)).length);
    assert.equal(t.get('amount|type_mismatch')?.total, rows.filter((r) => !Number.isInteger(r.amount)).length);
    for (const k of ['x|low_presence', 'wind|missing_column', 'flag|new_column', 'null|num_examples', 'x|drift']) assert.ok(t.has(k), k);
    assert.ok((t.get('x|out_of_range')?.total ?? 0) > 0 && (t.get('k|out_of_range')?.total ?? 0) > 0);
  });

  test('SQLite', async () => {
    const got = await validateDb('sqlite:///rows.db');
    assertSameAnomalies(duck, got);
    assert.equal(got.rows, N);
  });

  test('PostgreSQL', async (t) => {
    if ('skip' in pg) return t.skip(pg.skip);
    assertSameAnomalies(duck, await validateDb(pg.url, { PGPASSWORD: pg.password }));
  });

  test('ClickHouse Distributed table (no bool column in ClickHouse 18: flag is absent)', async (t) => {
    if ('skip' in ch) return t.skip(ch.skip);
    const ref = await validateData(session, await openSource(path.join(dir, 'rows_ch.csv')), schema, { baseline: await openSource(path.join(dir, 'baseline.csv')) });
    assertSameAnomalies(ref, await validateDb(ch.url));
  });
});
