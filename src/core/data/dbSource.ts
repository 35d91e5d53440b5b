/**
 * A dataset kept in a database: its engine connection, the relation (table or query) the
 * profiler and validator push their SQL into, and errors turned into one line that names the
 * dataset, its redacted URL and the cause, never a password.
 */
import { badInput, cancelled, isProdmlError, ProdmlError } from '../errors';
import type { Relation } from './profile';
import type { Engine } from './engine';
import { checkSelect, environmentOf, redactUrl, resolveDbUrl, scrub, type DbEndpoint, type DbKind } from './dbUrl';
import { connectClickHouse } from './clickhouseEngine';
import { connectPostgres, UnmappableColumnError, type Timeouts } from './pgEngine';
import { openSqlite } from './sqliteEngine';

/** The database part of a prodml.yaml dataset. */
export interface DbDatasetSpec {
  name: string;
  url: string;
  table?: string;
  query?: string;
  /** Seconds. */
  connect_timeout?: number;
  query_timeout?: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 10_000, queryMs: 300_000 };

export interface DbSource {
  dataset: string;
  kind: DbKind;
  /** The URL as written, password replaced by ***. */
  url: string;
  table?: string;
  query?: string;
  /** The relation in the engine's dialect: a quoted table name or a parenthesised query. */
  from: string;
  /** What people see: `weather (postgresql://user@host:5432/db, table readings)`. */
  display: string;
}

export interface OpenedDbSource {
  source: DbSource;
  engine: Engine;
  relation: Relation;
  close(): Promise<void>;
}

/** Where a dataset is named in prodml.yaml, for messages and diagnostics. */
export function datasetWhere(name: string): string {
  return `datasets.${name}`;
}

function describeSource(spec: DbDatasetSpec): string {
  const what = spec.table !== undefined ? `table ${spec.table}` : 'query';
  return `dataset ${spec.name} (${redactUrl(spec.url)}, ${what})`;
}

/** Connects to a database dataset and checks its table or query; the caller closes it. */
export async function openDbSource(spec: DbDatasetSpec, root: string, opts: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {}): Promise<OpenedDbSource> {
  const where = datasetWhere(spec.name);
  if ((spec.table === undefined) === (spec.query === undefined)) throw badInput(where, 'give either table: or query: (one of them) with url:');
  const query = spec.query !== undefined ? checkSelect(spec.query, `${where}.query`) : undefined;
  const ep = resolveDbUrl(spec.url, environmentOf(root, opts.env), root, `${where}.url`);
  const timeouts: Timeouts = {
    connectMs: spec.connect_timeout !== undefined ? spec.connect_timeout * 1000 : DEFAULT_TIMEOUTS.connectMs,
    queryMs: spec.query_timeout !== undefined ? spec.query_timeout * 1000 : DEFAULT_TIMEOUTS.queryMs,
  };
  const display = describeSource(spec);
  const explain = (e: unknown) => explainDbError(e, display, ep, timeouts);
  let engine: Engine;
  try {
    engine =
      ep.kind === 'postgresql' ? await connectPostgres(ep, timeouts) : ep.kind === 'clickhouse' ? await connectClickHouse(ep, timeouts) : openSqlite(ep.file!, display, timeouts);
  } catch (e) {
    if (opts.signal?.aborted) throw cancelled();
    throw explain(e);
  }
  const d = engine.dialect;
  const from = query !== undefined ? d.subquery(query) : spec.table!.split('.').map(d.ident).join('.');
  const source: DbSource = { dataset: spec.name, kind: ep.kind, url: redactUrl(spec.url), ...(spec.table !== undefined ? { table: spec.table } : { query }), from, display };
  const relation: Relation = { engine, from, display, format: ep.kind, explain: async (e) => explain(e) };
  try {
    // Reaches the table (or runs the query for its columns) now, so a missing table or a bad
    // query fails here with its cause rather than midway.
    await engine.describe(from, { signal: opts.signal });
  } catch (e) {
    await engine.close();
    if (opts.signal?.aborted) throw cancelled();
    throw explain(e);
  }
  return { source, engine, relation, close: () => engine.close() };
}

/** One line naming the source and the cause; the password never appears, whatever the driver said. */
export function explainDbError(e: unknown, display: string, ep: DbEndpoint, t: Timeouts): ProdmlError {
  if (isProdmlError(e)) return e;
  const err = e as Error & { code?: string };
  const raw = scrub(String(err?.message ?? e).split('\n')[0] ?? '', [ep.password]);
  const at = ep.kind === 'sqlite' ? ep.file : `${ep.host}:${ep.port}`;
  const code = err?.code ?? '';
  let cause: string;
  if (e instanceof UnmappableColumnError) cause = e.message;
  else if (code === 'ECONNREFUSED') cause = `cannot connect to ${at}: connection refused (is the server running, and on this port?)`;
  else if (/Connection terminated unexpectedly|socket hang up|ECONNRESET/.test(raw) || code === 'ECONNRESET') cause = `cannot connect to ${at}: the connection was closed before the server answered`;
  else if (code === 'ENETUNREACH' || code === 'EHOSTUNREACH') cause = `cannot connect to ${at}: network unreachable`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') cause = `cannot connect: host ${ep.host} not found`;
  else if (code === 'ETIMEDOUT' || /timeout expired|Connection terminated due to connection timeout|connect timeout|Timeout error/i.test(raw)) {
    cause = `cannot connect to ${at}: no answer within ${t.connectMs / 1000} s`;
  } else if (code === '28P01' || code === '28000' || /password|authentication failed|Authentication failed|Unknown user/i.test(raw)) {
    cause = `authentication failed for user ${ep.user ?? '(none)'}: wrong password or unknown user (credentials come from the URL, PG*/CLICKHOUSE_* variables or .env)`;
  } else if (code === '3D000' || /Database .* doesn't exist/i.test(raw)) cause = `database ${ep.database} does not exist`;
  else if (code === '42P01' || /Table .* doesn't exist|no such table/i.test(raw)) cause = `table not found: ${raw.replace(/^.*?(relation|Table|no such table)/i, '$1')}`;
  else if (code === '57014' || /TIMEOUT_EXCEEDED|Timeout exceeded|Code: 159\b/i.test(raw)) cause = `the query took longer than the ${t.queryMs / 1000} s query timeout`;
  else if (code === '25006' || /readonly mode|read-only|attempt to write a readonly/i.test(raw)) cause = `the query tried to write; ProdML only reads (SELECT)`;
  else if (/not a SELECT/i.test(raw)) cause = raw;
  else cause = `the query failed: ${raw.replace(/^Code: \d+, e\.displayText\(\) = DB::Exception: /, '').replace(/, e\.what\(\) = DB::Exception$/, '')}`;
  return badInput(display, cause);
}
