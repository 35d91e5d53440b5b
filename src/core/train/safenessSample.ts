/**
 * The safeness check's edge inputs from the first training rows, read from DuckDB chunk by chunk:
 * 200k rows as row objects took about 300 MB (V8's objects and DuckDB's materialised result) at
 * the end of a run, on top of the evaluation. The values are those `rows()` gives
 * (chunkColumnJS), folded in row order, so the edges are the ones checkSafeness draws from the
 * same rows (test/unit/safenessSample.test.ts).
 */
import { chunkColumnJS, type DuckSession, type Row } from '../data/duckdb';
import { EdgeStats, type EdgeInput } from '../evaluate/safeness';

export async function edgeInputsOf(session: DuckSession, sql: string, columns: readonly string[], signal?: AbortSignal): Promise<{ base: Row; edges: EdgeInput[] }> {
  const stats = new EdgeStats(columns);
  const result = await session.stream(sql, { signal });
  const at = columns.map((c) => result.columnNames.indexOf(c));
  const missing = columns.find((_, k) => at[k]! < 0);
  if (missing !== undefined) throw new Error(`safeness: the query gives no column ${missing}`);
  let base: Row | undefined;
  for await (const chunk of result.chunks()) {
    const values = at.map((j) => chunkColumnJS(chunk, j));
    base ??= Object.fromEntries(columns.map((c, k) => [c, values[k]![0]]));
    for (let i = 0, n = chunk.rowCount; i < n; i++) for (let k = 0; k < columns.length; k++) stats.add(k, values[k]![i]);
  }
  return { base: base ?? {}, edges: stats.edges() };
}
