/**
 * The model paths of TF Serving's REST API, after `/v1/models/`:
 *   GET  <m>[/versions/<v>|/labels/<a>]            status
 *   GET  <m>[/versions/<v>|/labels/<a>]/metadata   metadata
 *   POST <m>[/versions/<v>|/labels/<a>]:<verb>     predict, classify, regress
 */
export type Pin = { version: string } | { alias: string };

export type ModelEndpoint =
  | { kind: 'status' | 'metadata'; model: string; pin?: Pin }
  | { kind: 'verb'; model: string; pin?: Pin; verb: string };

const GET = /^([^/:]+)(?:\/(versions|labels)\/([^/:]+))?(\/metadata)?$/;
const POST = /^([^/:]+)(?:\/(versions|labels)\/([^/:]+))?:(\w+)$/;

/** Paths seen lately and what they name: a server sees the same few paths over and over. Bounded, as paths come from clients. */
const seen = { GET: new Map<string, ModelEndpoint | undefined>(), POST: new Map<string, ModelEndpoint | undefined>() };
const SEEN_MAX = 256;

/** The endpoint a path names, or undefined when it names none. The result is shared: do not change it. */
export function modelEndpoint(method: 'GET' | 'POST', rest: string): ModelEndpoint | undefined {
  const known = seen[method];
  const hit = known.get(rest);
  if (hit !== undefined || known.has(rest)) return hit;
  const e = parseEndpoint(method, rest);
  if (known.size >= SEEN_MAX) known.clear();
  known.set(rest, e);
  return e;
}

function parseEndpoint(method: 'GET' | 'POST', rest: string): ModelEndpoint | undefined {
  const m = (method === 'GET' ? GET : POST).exec(rest);
  if (!m) return undefined;
  const pin: Pin | undefined = m[2] === undefined ? undefined : m[2] === 'versions' ? { version: m[3]! } : { alias: m[3]! };
  const base = { model: m[1]!, ...(pin ? { pin } : {}) };
  if (method === 'POST') return { kind: 'verb', ...base, verb: m[4]! };
  return { kind: m[4] ? 'metadata' : 'status', ...base };
}

/** How a pin is named in logs and metrics: "versions/3", "labels/candidate". */
export function pinName(pin: Pin): string {
  return 'version' in pin ? `versions/${pin.version}` : `labels/${pin.alias}`;
}
