/**
 * Vega-Lite specs as the charts build them: plain JSON objects. vega-lite's TopLevelSpec is a deep
 * union that object literals with computed layers do not narrow to, so a spec is checked for
 * what can be checked cheaply here (a JSON object with a mark, layers, a concat or a repeat) and
 * fully by vega-lite's compiler, in the tests and in the webview.
 */
import type { TopLevelSpec } from 'vega-lite';

export type VegaLiteSpec = TopLevelSpec;

function isVegaLite(x: unknown): x is VegaLiteSpec {
  return isJsonObject(x) && ['mark', 'layer', 'hconcat', 'vconcat', 'concat', 'facet', 'repeat', 'spec'].some((k) => k in x);
}

export function isJsonObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function vegaLite(spec: Record<string, unknown>): VegaLiteSpec {
  if (!isVegaLite(spec)) throw new Error(`not a Vega-Lite spec: it has neither a mark nor a composition (keys: ${Object.keys(spec).join(', ')})`);
  return spec;
}

/** A spec as the report protocol carries it: a JSON object. */
export function specJson(spec: VegaLiteSpec): Record<string, unknown> {
  const json: unknown = spec;
  if (!isJsonObject(json)) throw new Error('a Vega-Lite spec must be a JSON object');
  return json;
}
