/** DuckDB (files, the embedded default) behind the Engine interface. */
import { chunkColumnJS, type DuckSession, type QueryOptions, type Row } from './duckdb';
import { DUCKDB_DIALECT, type Engine, type EngineColumn, type StreamOptions } from './engine';

export function duckEngine(session: DuckSession): Engine {
  return {
    dialect: DUCKDB_DIALECT,
    rows: (sql: string, q?: QueryOptions) => session.rows(sql, q),
    async describe(from: string, q?: QueryOptions): Promise<EngineColumn[]> {
      const rows = await session.rows(`DESCRIBE SELECT * FROM ${from}`, q);
      return rows.map((r) => ({ name: String(r['column_name']), nativeType: String(r['column_type']), duckdbType: String(r['column_type']) }));
    },
    async *stream(sql: string, opts: StreamOptions = {}): AsyncGenerator<Row[]> {
      const result = await session.stream(sql, { signal: opts.signal });
      const names = result.columnNames;
      for await (const chunk of result.chunks()) {
        const cols = names.map((_, j) => chunkColumnJS(chunk, j));
        yield Array.from({ length: chunk.rowCount }, (_, i) => Object.fromEntries(names.map((n, j) => [n, cols[j]![i]])));
      }
    },
    bytesRead: () => 0,
    async close() {
      /* the session belongs to the caller */
    },
  };
}
