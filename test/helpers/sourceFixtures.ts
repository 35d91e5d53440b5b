/**
 * The same rows in every engine: a CSV DuckDB reads, a PostgreSQL table, a SQLite file and a
 * ClickHouse Distributed table over two shards' local tables (rows split between them). Rows
 * have nulls, a skewed float, a small integer range, categories, dates and a bool.
 */
import fs from 'node:fs';
import { mulberry32 } from '../../src/core/demo/random';
import { clickhouseExec, type ClickHouseCluster, type Postgres } from './dbServers';

export interface SourceRow {
  id: number;
  x: number | null;
  k: number;
  city: string | null;
  day: string;
  amount: number;
  flag: boolean;
}

export const CITIES = ['Lyon', 'Oslo', 'Porto', 'Quito', "O'Hare", 'Zürich'];

export function makeRows(n: number, seed = 11): SourceRow[] {
  const r = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    x: r() < 0.04 ? null : Number((20 + 5 * normal()).toFixed(6)),
    k: Math.floor(-Math.log(1 - r()) * 2) % 9,
    city: r() < 0.05 ? null : CITIES[Math.floor(Math.pow(r(), 1.7) * CITIES.length)]!,
    day: new Date(Date.UTC(2024, 0, 1) + Math.floor(r() * 200) * 86_400_000).toISOString().slice(0, 10),
    amount: Number(Math.exp(3 + normal()).toFixed(4)),
    flag: r() < 0.3,
  }));
}

const COLUMNS = ['id', 'x', 'k', 'city', 'day', 'amount', 'flag'] as const;

export function writeCsv(file: string, rows: SourceRow[], columns: readonly string[] = COLUMNS): void {
  const cell = (v: unknown) => (v === null ? '' : typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));
  fs.writeFileSync(file, [columns.join(','), ...rows.map((row) => columns.map((c) => cell(row[c as keyof SourceRow])).join(','))].join('\n') + '\n');
}

export async function loadPostgres(pg: Postgres, table: string, rows: SourceRow[]): Promise<void> {
  const { Client } = require('pg') as typeof import('pg');
  const c = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
  await c.connect();
  try {
    await c.query(`CREATE TABLE ${table} (id int8, x float8, k int4, city text, day date, amount float8, flag bool)`);
    for (let i = 0; i < rows.length; i += 1000) {
      const part = rows.slice(i, i + 1000);
      const values = part.map((_, j) => `(${COLUMNS.map((__, c2) => `$${j * COLUMNS.length + c2 + 1}`).join(', ')})`);
      await c.query(`INSERT INTO ${table} VALUES ${values.join(', ')}`, part.flatMap((row) => COLUMNS.map((col) => row[col])));
    }
  } finally {
    await c.end();
  }
}

export function loadSqlite(file: string, table: string, rows: SourceRow[]): void {
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(file);
  db.exec(`CREATE TABLE ${table} (id INTEGER, x REAL, k INTEGER, city TEXT, day DATE, amount REAL, flag BOOLEAN)`);
  const ins = db.prepare(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (const r of rows) ins.run(r.id, r.x, r.k, r.city, r.day, r.amount, r.flag ? 1 : 0);
  })();
  db.close();
}

/** Rows with an odd id go to shard 1, even to shard 2; `table` is the Distributed table over `${table}_local`. ClickHouse 18 has no Bool: no flag column. */
export async function loadClickHouse(ch: ClickHouseCluster, table: string, rows: SourceRow[]): Promise<void> {
  const ddl = `CREATE TABLE ${table}_local (id Int64, x Nullable(Float64), k Int32, city Nullable(String), day Date, amount Float64) ENGINE = MergeTree() ORDER BY id`;
  for (const port of ch.httpPorts) await clickhouseExec(port, ddl);
  await clickhouseExec(ch.httpPorts[0], `CREATE TABLE ${table} AS ${table}_local ENGINE = Distributed(${ch.cluster}, default, ${table}_local, id)`);
  const tsv = (part: SourceRow[]) =>
    part.map((r) => [r.id, r.x ?? '\\N', r.k, r.city === null ? '\\N' : r.city.replace(/\\/g, '\\\\').replace(/\t/g, '\\t'), r.day, r.amount].join('\t')).join('\n') + '\n';
  await clickhouseExec(ch.httpPorts[0], `INSERT INTO ${table}_local FORMAT TabSeparated`, tsv(rows.filter((r) => r.id % 2 === 1)));
  await clickhouseExec(ch.httpPorts[1], `INSERT INTO ${table}_local FORMAT TabSeparated`, tsv(rows.filter((r) => r.id % 2 === 0)));
}
