/**
 * ClickHouse behind the Engine interface (the official @clickhouse/client, HTTP). Queries run
 * with readonly=2 (no writes; settings allowed) and max_execution_time; over a Distributed table
 * ClickHouse itself fans the aggregates out to the shards and merges their partial states.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { cancelled } from '../errors';
import type { QueryOptions, Row } from './duckdb';
import { CLICKHOUSE_DIALECT, type Engine, type EngineColumn, type StreamOptions } from './engine';
import type { DbEndpoint } from './dbUrl';
import { UnmappableColumnError, type Timeouts } from './pgEngine';

/** PRODML_TRACE_SQL=1 prints every statement with its time on stderr. */
const TRACE = process.env['PRODML_TRACE_SQL'] === '1';

const SIMPLE: Record<string, string> = {
  Int8: 'TINYINT',
  Int16: 'SMALLINT',
  Int32: 'INTEGER',
  Int64: 'BIGINT',
  UInt8: 'UTINYINT',
  UInt16: 'USMALLINT',
  UInt32: 'UINTEGER',
  UInt64: 'UBIGINT',
  Float32: 'FLOAT',
  Float64: 'DOUBLE',
  String: 'VARCHAR',
  Date: 'DATE',
  DateTime: 'TIMESTAMP',
  Bool: 'BOOLEAN',
};

/** A ClickHouse type as a DuckDB type; undefined when ProdML cannot map it (arrays, tuples, UUIDs...). */
export function clickhouseType(native: string): string | undefined {
  const inner = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(native)?.[1];
  if (inner) return clickhouseType(inner);
  if (SIMPLE[native]) return SIMPLE[native];
  if (/^FixedString\(|^Enum(8|16)?\(/.test(native)) return 'VARCHAR';
  if (/^DateTime(64)?\(/.test(native)) return 'TIMESTAMP';
  if (/^Decimal/.test(native)) return 'DECIMAL';
  return undefined;
}

export async function connectClickHouse(ep: DbEndpoint, t: Timeouts): Promise<Engine> {
  const { createClient, ClickHouseLogLevel } = require('@clickhouse/client') as typeof import('@clickhouse/client');
  const client = createClient({
    url: `http://${ep.host?.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`,
    username: ep.user,
    password: ep.password,
    database: ep.database,
    request_timeout: t.queryMs + 5000,
    // Progress headers keep a long aggregate's HTTP response alive through idle-timeout proxies.
    clickhouse_settings: { readonly: '2', max_execution_time: Math.ceil(t.queryMs / 1000), send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
    application: 'prodml',
    log: { level: ClickHouseLogLevel.OFF },
  });
  const engine = new ClickHouseEngine(client);
  // Connect-time checks (reachable, credentials, database) with the connect timeout.
  await engine.rows('SELECT 1', { signal: AbortSignal.timeout(t.connectMs) });
  return engine;
}

class ClickHouseEngine implements Engine {
  readonly dialect = CLICKHOUSE_DIALECT;
  private bytes = 0;
  constructor(private readonly client: ClickHouseClient) {}

  private async json(sql: string, q: QueryOptions = {}): Promise<{ meta: { name: string; type: string }[]; data: Row[] }> {
    if (q.signal?.aborted) throw cancelled();
    try {
      const t0 = TRACE ? performance.now() : 0;
      const rs = await this.client.query({ query: sql, format: 'JSON', abort_signal: q.signal });
      const text = await rs.text();
      this.bytes += Buffer.byteLength(text);
      if (TRACE) process.stderr.write(`[clickhouse ${(performance.now() - t0).toFixed(1)} ms] ${sql.replace(/\s+/g, ' ').slice(0, 200)}\n`);
      try {
        return JSON.parse(text) as { meta: { name: string; type: string }[]; data: Row[] };
      } catch {
        // With progress headers the status is sent before the result: a failure mid-query arrives as text in the body.
        throw new Error(/Code: \d+/.exec(text) ? text.slice(text.search(/Code: \d+/)).split('\n')[0]! : `unreadable answer from ClickHouse: ${text.slice(0, 200)}`);
      }
    } catch (e) {
      if (q.signal?.aborted && q.signal.reason?.name !== 'TimeoutError') throw cancelled();
      if (q.signal?.aborted) throw new Error(`no answer within the connect timeout`);
      throw e;
    }
  }

  async rows(sql: string, q?: QueryOptions): Promise<Row[]> {
    return (await this.json(sql, q)).data;
  }

  async describe(from: string, q?: QueryOptions): Promise<EngineColumn[]> {
    const { meta } = await this.json(`SELECT * FROM ${from} LIMIT 0`, q);
    return meta.map((m) => {
      const duckdbType = clickhouseType(m.type);
      if (!duckdbType) throw new UnmappableColumnError(m.name, m.type);
      return { name: m.name, nativeType: m.type, duckdbType };
    });
  }

  async *stream(sql: string, opts: StreamOptions = {}): AsyncGenerator<Row[]> {
    const n = opts.chunkRows ?? 10_000;
    // No execution limit on a stream: ClickHouse counts the time it waits for a slow reader, and
    // the reader here is bounded by its own chunks (the aggregates keep max_execution_time).
    const rs = await this.client.query({ query: sql, format: 'JSONEachRow', abort_signal: opts.signal, clickhouse_settings: { max_execution_time: 0 } });
    let chunk: Row[] = [];
    for await (const rows of rs.stream()) {
      for (const r of rows as { text: string; json<T>(): T }[]) {
        this.bytes += r.text.length + 1;
        chunk.push(r.json<Row>());
        if (chunk.length >= n) {
          yield chunk;
          chunk = [];
        }
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  bytesRead(): number {
    return this.bytes;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
