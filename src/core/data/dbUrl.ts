/**
 * A database dataset's address: `postgresql://user@host:port/db`, `sqlite:///file.db` or
 * `clickhouse://host:port/db`, with credentials from the environment (`${VAR}` in the URL, the
 * standard PG* variables, CLICKHOUSE_USER / CLICKHOUSE_PASSWORD) or a `.env` file at the
 * workspace root. Passwords live only in memory: everything shown is the URL as written with its
 * password replaced by ***, and every message from a driver is scrubbed of the password.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { badInput } from '../errors';

export type DbKind = 'postgresql' | 'sqlite' | 'clickhouse';

export interface DbEndpoint {
  kind: DbKind;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** SQLite: the absolute path of the database file. */
  file?: string;
}

const SCHEMES: Record<string, DbKind> = {
  postgresql: 'postgresql',
  postgres: 'postgresql',
  sqlite: 'sqlite',
  clickhouse: 'clickhouse',
};

/** Stands in for an empty host (postgresql:///db: the host from PGHOST) while the URL is parsed. */
const NO_HOST = 'prodml-no-host.invalid';

/** Whether a dataset value is a database URL rather than a path. */
export function isDbUrl(s: string): boolean {
  return /^(postgresql|postgres|sqlite|clickhouse):\/\//i.test(s);
}

/** The URL as written, its password (if one is written, literal or ${VAR}) replaced by ***. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)([^/@]*)@/i, (_, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return colon < 0 ? `${scheme}${auth}@` : `${scheme}${auth.slice(0, colon)}:***@`;
  });
}

/**
 * The environment credentials come from: the process environment, and under it (never over it)
 * the workspace's `.env` file (KEY=VALUE lines; it is not committed).
 */
export function environmentOf(root: string | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  let fromFile: Record<string, string> = {};
  if (root) {
    try {
      fromFile = parseEnv(fs.readFileSync(path.join(root, '.env'), 'utf8')) as Record<string, string>;
    } catch {
      /* no .env: the environment alone */
    }
  }
  return { ...fromFile, ...env };
}

/** Resolves a database URL to an endpoint; `where` names it in messages (e.g. `datasets.weather.url`). */
export function resolveDbUrl(url: string, env: Record<string, string | undefined>, root: string, where: string): DbEndpoint {
  const missing: string[] = [];
  const expanded = url.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) missing.push(name);
    // Encoded, so a password with @ : / in it stays one URL part (decoded again below).
    return encodeURIComponent(v ?? '');
  });
  if (missing.length > 0) throw badInput(where, `${missing.map((m) => `\${${m}}`).join(', ')} in ${redactUrl(url)} is not set (set it in the environment or in the workspace's .env file)`);
  const scheme = /^([a-z]+):\/\//i.exec(expanded)?.[1]?.toLowerCase();
  const kind = scheme ? SCHEMES[scheme] : undefined;
  if (!kind) throw badInput(where, `${redactUrl(url)} is not a database URL ProdML reads: use postgresql://, sqlite:/// or clickhouse://`);
  if (kind === 'sqlite') {
    // SQLAlchemy's convention: sqlite:///rel/path.db is relative (to the workspace), sqlite:////abs/path.db absolute.
    const rest = decodeURIComponent(expanded.replace(/^sqlite:\/\//i, ''));
    if (!rest.startsWith('/') || rest.length < 2) throw badInput(where, `${redactUrl(url)}: write sqlite:///path/to/file.db (relative to the workspace) or sqlite:////absolute/path.db`);
    const p = rest.slice(1);
    return { kind, file: path.isAbsolute(p) ? p : path.resolve(root, p) };
  }
  let u: URL;
  try {
    // The WHATWG parser handles userinfo, IPv6 hosts and percent-encoding; http: makes it parse the authority.
    u = new URL(expanded.replace(/^[a-z]+:\/\/(?=[/?]|$)/i, `http://${NO_HOST}`).replace(/^[a-z]+:/i, 'http:'));
  } catch {
    throw badInput(where, `${redactUrl(url)} is not a valid URL`);
  }
  const dec = (s: string) => (s ? decodeURIComponent(s) : undefined);
  const hostname = u.hostname === NO_HOST ? '' : u.hostname;
  const database = dec(u.pathname.replace(/^\//, ''));
  const explicitPort = /^[a-z]+:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):(\d+)/i.exec(expanded)?.[1];
  if (kind === 'postgresql') {
    return {
      kind,
      host: hostname || env['PGHOST'] || '127.0.0.1',
      port: Number(explicitPort ?? env['PGPORT'] ?? 5432),
      user: dec(u.username) ?? env['PGUSER'],
      password: dec(u.password) ?? env['PGPASSWORD'],
      database: database ?? env['PGDATABASE'],
    };
  }
  return {
    kind,
    host: hostname || '127.0.0.1',
    port: Number(explicitPort ?? 8123),
    user: dec(u.username) ?? env['CLICKHOUSE_USER'] ?? 'default',
    password: dec(u.password) ?? env['CLICKHOUSE_PASSWORD'] ?? '',
    database: database ?? 'default',
  };
}

/** A message with every occurrence of a secret replaced by ***. */
export function scrub(message: string, secrets: (string | undefined)[]): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 1) out = out.split(s).join('***');
  return out;
}

/** Words that write when they appear in one statement that starts with SELECT or WITH (data-modifying CTEs, SELECT INTO). */
const WRITES = /\b(insert|update|delete|merge|drop|create|alter|truncate|grant|revoke|attach|detach|pragma|into)\b/i;

/**
 * A dataset query must be one read-only SELECT (WITH ... SELECT allowed). Comments, string
 * literals and quoted identifiers are blanked first so that words inside them do not count.
 * The engines enforce the same thing again (read-only transactions, readonly mode).
 */
export function checkSelect(query: string, where: string): string {
  const blank = query
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^'\\]|''|\\.)*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/`[^`]*`/g, '``');
  const body = blank.trim().replace(/;\s*$/, '');
  if (body.includes(';')) throw badInput(where, 'holds more than one statement; a dataset query is one SELECT');
  const first = /^\(*\s*([a-z]+)/i.exec(body)?.[1]?.toLowerCase();
  if (first !== 'select' && first !== 'with') throw badInput(where, `is not a SELECT statement (it starts with ${first ? first.toUpperCase() : 'nothing'}); ProdML only reads`);
  const write = WRITES.exec(body)?.[1];
  if (write) throw badInput(where, `is not a read-only SELECT: it contains ${write.toUpperCase()}; ProdML only reads`);
  return query.trim().replace(/;\s*$/, '');
}
