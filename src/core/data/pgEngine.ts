/**
 * PostgreSQL behind the Engine interface (node-postgres). Every session is read-only
 * (default_transaction_read_only), has a statement timeout, and streams through a server-side
 * cursor so that large tables never sit in memory.
 */
import type { Client, ClientConfig, FieldDef } from 'pg';
import { cancelled } from '../errors';
import type { QueryOptions, Row } from './duckdb';
import { POSTGRES_DIALECT, type Engine, type EngineColumn, type StreamOptions } from './engine';
import type { DbEndpoint } from './dbUrl';

/** PRODML_TRACE_SQL=1 prints every statement with its time on stderr. */
const TRACE = process.env['PRODML_TRACE_SQL'] === '1';

export interface Timeouts {
  connectMs: number;
  queryMs: number;
}

/** PostgreSQL type OIDs ProdML maps, to DuckDB's type names. */
const OID_TYPES: Record<number, string> = {
  16: 'BOOLEAN',
  20: 'BIGINT',
  21: 'SMALLINT',
  23: 'INTEGER',
  700: 'FLOAT',
  701: 'DOUBLE',
  1700: 'DECIMAL',
  25: 'VARCHAR',
  1043: 'VARCHAR',
  1042: 'VARCHAR',
  19: 'VARCHAR',
  1082: 'DATE',
  1114: 'TIMESTAMP',
  1184: 'TIMESTAMP',
};

export class UnmappableColumnError extends Error {
  constructor(
    readonly column: string,
    readonly nativeType: string,
  ) {
    super(`column "${column}" has type ${nativeType}, which ProdML cannot map to int, float, string, bool or timestamp; cast it in a query: (e.g. ${column}::text)`);
  }
}

export async function connectPostgres(ep: DbEndpoint, t: Timeouts): Promise<Engine> {
  const pg = require('pg') as typeof import('pg');
  // Dates and timestamps stay text (node-postgres would make local-time Dates); 64-bit integers
  // and numerics become numbers, as DuckDB's path gives them.
  const asText = (v: string) => v;
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => {
      if (oid === 1082 || oid === 1114 || oid === 1184) return asText;
      if (oid === 20 || oid === 1700) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format as 'text');
    },
  } as ClientConfig['types'];
  const client = new pg.Client({
    host: ep.host,
    port: ep.port,
    user: ep.user,
    password: ep.password ?? '',
    database: ep.database,
    connectionTimeoutMillis: t.connectMs,
    query_timeout: t.queryMs + 5000,
    statement_timeout: t.queryMs,
    // Aggregates sort (percentile_cont, count(DISTINCT)): 64 MB of work_mem keeps them off disk.
    options: '-c default_transaction_read_only=on -c work_mem=64MB',
    application_name: 'prodml',
    types,
  });
  // A server that drops the connection later must not crash the process.
  client.on('error', () => undefined);
  await client.connect();
  return new PgEngine(client);
}

class PgEngine implements Engine {
  readonly dialect = POSTGRES_DIALECT;
  private cursors = 0;
  constructor(private readonly client: Client) {}

  async rows(sql: string, q: QueryOptions = {}): Promise<Row[]> {
    return (await this.query(sql, q)).rows;
  }

  private async query(sql: string, q: QueryOptions = {}): Promise<{ rows: Row[]; fields: FieldDef[] }> {
    if (q.signal?.aborted) throw cancelled();
    // Cancelling a running statement needs a second connection; ending this one is enough here.
    const onAbort = () => void this.client.end().catch(() => undefined);
    q.signal?.addEventListener('abort', onAbort);
    const t0 = TRACE ? performance.now() : 0;
    try {
      const r = await this.client.query(sql);
      if (TRACE) process.stderr.write(`[pg ${(performance.now() - t0).toFixed(1)} ms] ${sql.replace(/\s+/g, ' ').slice(0, 200)}\n`);
      return { rows: r.rows as Row[], fields: r.fields };
    } catch (e) {
      if (q.signal?.aborted) throw cancelled();
      throw e;
    } finally {
      q.signal?.removeEventListener('abort', onAbort);
    }
  }

  async describe(from: string, q?: QueryOptions): Promise<EngineColumn[]> {
    const { fields } = await this.query(`SELECT * FROM ${from} LIMIT 0`, q);
    const unknown = fields.filter((f) => !OID_TYPES[f.dataTypeID]);
    const names = new Map<number, string>();
    if (unknown.length > 0) {
      const r = await this.client.query('SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1)', [unknown.map((f) => f.dataTypeID)]);
      for (const row of r.rows as { oid: number; name: string }[]) names.set(Number(row.oid), row.name);
    }
    return fields.map((f) => {
      const duckdbType = OID_TYPES[f.dataTypeID];
      const nativeType = names.get(f.dataTypeID) ?? String(f.dataTypeID);
      if (!duckdbType) throw new UnmappableColumnError(f.name, nativeType);
      return { name: f.name, nativeType, duckdbType };
    });
  }

  async *stream(sql: string, opts: StreamOptions = {}): AsyncGenerator<Row[]> {
    const n = opts.chunkRows ?? 10_000;
    const cursor = `prodml_cursor_${++this.cursors}`;
    await this.query('BEGIN READ ONLY', opts);
    try {
      await this.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, opts);
      for (;;) {
        const rows = await this.rows(`FETCH ${n} FROM ${cursor}`, opts);
        if (rows.length === 0) break;
        yield rows;
        if (rows.length < n) break;
      }
      await this.query(`CLOSE ${cursor}`);
    } finally {
      await this.client.query('COMMIT').catch(() => undefined);
    }
  }

  bytesRead(): number {
    // pg keeps its socket as client.connection.stream (not in its types): the bytes it has received.
    const stream: unknown = Reflect.get(Reflect.get(this.client, 'connection') ?? {}, 'stream');
    const bytes: unknown = typeof stream === 'object' && stream !== null ? Reflect.get(stream, 'bytesRead') : undefined;
    return typeof bytes === 'number' ? bytes : 0;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
