/**
 * Where the advisor reads request keys: the prediction log (the `key` each record carries when
 * models.<m>.serving.key is set, or a field of its inputs), or a key column of a data file taken
 * as a stream of requests (one row per request).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { sqlIdent, sqlString, type DuckSession } from '../data/duckdb';
import { explainReadError, type DataSource } from '../data/source';
import { badInput, cancelled, isProdmlError } from '../errors';
import { logsDir, predictionsGlob } from '../serve/logPaths';
import { PREDICTIONS_PREFIX } from '../serve/logTypes';
import type { KeySourceInfo } from './types';

/**
 * Requests are what clients sent: primary (pinned included) and canary records. Shadow records
 * duplicate a primary one, and batch records are files scored offline, not requests.
 */
export const REQUEST_ROUTES = ['primary', 'canary'];

export interface KeySource {
  info: KeySourceInfo;
  /** A SELECT with a VARCHAR column `k` (NULL when the request had no key). */
  sql: string;
  /**
   * A SELECT with `k` and `x`, a text of that request's inputs (for the consistency caveat): the
   * named input fields, or every field when none are named.
   */
  rowsSql(inputs?: string[]): string;
}

/**
 * The log's keys. `key` names an input field to use instead of (or where missing, besides) the
 * logged key: records written before serving.key was set carry none.
 */
export async function logKeySource(root: string, model: string, servingKey: string | undefined, key: string | undefined): Promise<KeySource> {
  const dir = logsDir(root, model);
  const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith(PREDICTIONS_PREFIX) && f.endsWith('.jsonl'));
  const display = path.relative(root, dir) || dir;
  if (files.length === 0) {
    throw badInput(display, `has no prediction log of ${model} to measure; serve it (prodml serve) or pass a request file: --data <file> --key <column>`);
  }
  const name = key ?? servingKey;
  if (!name) {
    throw badInput(display, `its records carry no key: set models.${model}.serving.key in prodml.yaml (requests are then logged with their key), or name an input field with --key, or pass --data <file> --key <column>`);
  }
  const fromInputs = `json_extract_string(inputs, ${jsonPath(name)})`;
  const k = name === servingKey ? `coalesce(key, ${fromInputs})` : fromInputs;
  const scan = `read_json(${sqlString(predictionsGlob(root, model))}, format = 'newline_delimited', ignore_errors = true, columns = {route: 'VARCHAR', key: 'VARCHAR', inputs: 'JSON'})`;
  const where = `WHERE route IN (${REQUEST_ROUTES.map(sqlString).join(', ')})`;
  return {
    info: { kind: 'log', path: display, key: name, field: name === servingKey ? 'key' : 'inputs', routes: REQUEST_ROUTES },
    sql: `SELECT ${k} AS k FROM ${scan} ${where}`,
    rowsSql: (inputs) => {
      const x = inputs && inputs.length > 0 ? `CAST([${inputs.map((f) => `json_extract(inputs, ${jsonPath(f)})`).join(', ')}] AS VARCHAR)` : 'CAST(inputs AS VARCHAR)';
      return `SELECT ${k} AS k, ${x} AS x FROM ${scan} ${where}`;
    },
  };
}

export async function dataKeySource(session: DuckSession, data: DataSource, key: string, signal?: AbortSignal): Promise<KeySource> {
  let names: string[];
  try {
    names = (await session.rows(`DESCRIBE SELECT * FROM ${data.scan}`, { signal })).map((r) => String(r['column_name']));
  } catch (e) {
    if (signal?.aborted) throw cancelled();
    if (isProdmlError(e)) throw e;
    throw await explainReadError(e, data);
  }
  if (!names.includes(key)) throw badInput(data.display, `has no key column "${key}" (columns: ${names.join(', ')})`);
  const k = `CAST(${sqlIdent(key)} AS VARCHAR)`;
  return {
    info: { kind: 'data', path: data.display, key },
    sql: `SELECT ${k} AS k FROM ${data.scan}`,
    rowsSql: (inputs) => {
      const cols = (inputs ?? []).filter((c) => names.includes(c));
      const x = cols.length > 0 ? `CAST([${cols.map((c) => `CAST(d.${sqlIdent(c)} AS VARCHAR)`).join(', ')}] AS VARCHAR)` : 'CAST(d AS VARCHAR)';
      return `SELECT ${k} AS k, ${x} AS x FROM ${data.scan} AS d`;
    },
  };
}

/** Among keys requested more than once, how many were sent with different inputs. */
export async function inputConsistency(session: DuckSession, source: KeySource, inputs: string[] | undefined, signal?: AbortSignal): Promise<{ repeatedKeys: number; varying: number }> {
  const [r] = await session.rows(
    `WITH raw AS (${source.rowsSql(inputs)}),
          g AS (SELECT k, count(DISTINCT md5(x)) AS variants FROM raw WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1)
     SELECT count(*) AS repeated, count(*) FILTER (WHERE variants > 1) AS varying FROM g`,
    { signal },
  );
  return { repeatedKeys: Number(r!['repeated']), varying: Number(r!['varying']) };
}

/** A JSON path to a top-level field, quoted so any field name works. */
function jsonPath(field: string): string {
  return sqlString(`$."${field.replace(/(["\\])/g, '\\$1')}"`);
}
