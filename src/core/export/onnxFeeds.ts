/**
 * Rows (as ProdML scores them: typed from DuckDB, or JSON) into the exported graph's inputs, one
 * [N,1] column each. The same coercions as features/apply.ts decide what is missing: a number
 * that toNumber cannot read becomes NaN (the graph imputes it), a category toCategory reads as
 * missing becomes '' (the graph's default slot). The web bundle embeds these very functions.
 */
import { toCategory, toNumber } from '../features/apply';
import type { OnnxInput } from './onnxExport';

export type OnnxFeed = { type: 'float32'; data: Float32Array; dims: [number, 1] } | { type: 'string'; data: string[]; dims: [number, 1] };

export function onnxFeeds(inputs: readonly OnnxInput[], rows: readonly Record<string, unknown>[]): Record<string, OnnxFeed> {
  const n = rows.length;
  const feeds: Record<string, OnnxFeed> = {};
  for (const input of inputs) {
    if (input.type === 'float32') feeds[input.name] = { type: 'float32', data: Float32Array.from(rows, (r) => toNumber(r[input.name]) ?? NaN), dims: [n, 1] };
    else feeds[input.name] = { type: 'string', data: rows.map((r) => toCategory(r[input.name]) ?? ''), dims: [n, 1] };
  }
  return feeds;
}
