/**
 * SQLite behind the Engine interface (better-sqlite3, in process). The file is opened read-only
 * and must exist; statements that are not readers are refused before they run.
 */
import fs from 'node:fs';
import type { Database } from 'better-sqlite3';
import { badInput, cancelled } from '../errors';
import type { QueryOptions, Row } from './duckdb';
import { SQLITE_DIALECT, type Engine, type EngineColumn, type StreamOptions } from './engine';
import { UnmappableColumnError, type Timeouts } from './pgEngine';
import { fnv1a } from '../demo/random';

/** A declared SQLite type (by its affinity rules, plus DATE/TIME/BOOL names) as a DuckDB type; undefined for BLOB. */
function declaredType(decl: string): string | undefined {
  const t = decl.toUpperCase();
  if (t.includes('INT')) return 'BIGINT';
  if (t.includes('BOOL')) return 'BOOLEAN';
  if (t === 'DATE') return 'DATE';
  if (t.includes('DATETIME') || t.includes('TIMESTAMP')) return 'TIMESTAMP';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'VARCHAR';
  if (t.includes('BLOB')) return undefined;
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB') || t.includes('NUM') || t.includes('DEC')) return 'DOUBLE';
  return 'VARCHAR';
}

const STORAGE_TYPES: Record<string, string | undefined> = { integer: 'BIGINT', real: 'DOUBLE', text: 'VARCHAR', blob: undefined };

export function openSqlite(file: string, where: string, t: Timeouts): Engine {
  if (!fs.existsSync(file)) throw badInput(where, `SQLite database file not found: ${file}`);
  const BetterSqlite = require('better-sqlite3') as typeof import('better-sqlite3');
  let db: Database;
  try {
    db = new BetterSqlite(file, { readonly: true, fileMustExist: true, timeout: t.connectMs });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    // A 32-bit FNV-1a of the row's values: summed (in 64 bits) it fingerprints a table's content.
    db.function('prodml_row_hash', { deterministic: true, varargs: true }, (...values: unknown[]) => fnv1a(JSON.stringify(values)));
  } catch (e) {
    throw badInput(where, `cannot open the SQLite database: ${(e as Error).message}`);
  }
  return new SqliteEngine(db);
}

class SqliteEngine implements Engine {
  readonly dialect = SQLITE_DIALECT;
  constructor(private readonly db: Database) {}

  private statement(sql: string) {
    const stmt = this.db.prepare(sql);
    if (!stmt.reader) throw new Error('not a SELECT statement: it returns no rows');
    return stmt;
  }

  async rows(sql: string, q: QueryOptions = {}): Promise<Row[]> {
    if (q.signal?.aborted) throw cancelled();
    return this.statement(sql).all() as Row[];
  }

  async describe(from: string): Promise<EngineColumn[]> {
    const cols = this.statement(`SELECT * FROM ${from} LIMIT 0`).columns();
    return cols.map((c) => {
      let duckdbType: string | undefined;
      let nativeType = c.type ?? '';
      if (c.type) duckdbType = declaredType(c.type);
      else {
        // An expression has no declared type: the storage class of its first value decides.
        const ident = SQLITE_DIALECT.ident(c.name);
        const r = this.db.prepare(`SELECT typeof(${ident}) AS t FROM ${from} WHERE ${ident} IS NOT NULL LIMIT 1`).get() as { t?: string } | undefined;
        nativeType = r?.t ?? 'null';
        duckdbType = r?.t ? STORAGE_TYPES[r.t] : 'VARCHAR';
      }
      if (!duckdbType) throw new UnmappableColumnError(c.name, nativeType || 'BLOB');
      return { name: c.name, nativeType, duckdbType };
    });
  }

  async *stream(sql: string, opts: StreamOptions = {}): AsyncGenerator<Row[]> {
    const n = opts.chunkRows ?? 10_000;
    let chunk: Row[] = [];
    for (const row of this.statement(sql).iterate() as Iterable<Row>) {
      if (opts.signal?.aborted) throw cancelled();
      chunk.push(row);
      if (chunk.length >= n) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  bytesRead(): number {
    return 0;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
