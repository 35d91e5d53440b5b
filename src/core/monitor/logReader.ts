/**
 * Reads a model's prediction log and its labels (the contract of src/core/serve/logTypes.ts) with
 * DuckDB, and joins each prediction to its label: by request id, or by key, the latest label
 * (by its `time`, then by file and line) winning when several match. Torn or malformed lines (a
 * kill mid-append) are skipped and counted, never fatal.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckSession } from '../data/duckdb';
import { sqlString } from '../data/duckdb';
import { LABELS_DIR, LOGS_DIR, PREDICTIONS_PREFIX, type Route } from '../serve/logTypes';
import { toTime } from './windows';
import { statePaths } from '../project/paths';

export interface LoggedPrediction {
  /** Position in the log (files in name order, lines in order). */
  seq: number;
  request_id: string;
  time: Date;
  version: number;
  route: Route;
  key?: string;
  inputs: Record<string, unknown>;
  prediction: number | Record<string, number>;
  /** The joined label, when one has arrived. */
  label?: number | string | boolean;
}

export interface PredictionLog {
  dir: string;
  records: LoggedPrediction[];
  /** Lines that were not a whole prediction record. */
  skipped: number;
  labels: { read: number; skipped: number; by_request_id: number; by_key: number };
}

const ROUTES = new Set<Route>(['primary', 'canary', 'shadow', 'batch']);

export function logDir(root: string, model: string): string {
  return statePaths(root).modelLogs(model);
}

export async function readPredictionLog(session: DuckSession, root: string, model: string, opts: { signal?: AbortSignal } = {}): Promise<PredictionLog> {
  const dir = logDir(root, model);
  const files = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith(PREDICTIONS_PREFIX) && f.endsWith('.jsonl'));
  const out: PredictionLog = { dir, records: [], skipped: 0, labels: { read: 0, skipped: 0, by_request_id: 0, by_key: 0 } };
  if (files.length === 0) return out;
  const rows = await session.rows(
    `SELECT request_id, time, version, route, key, inputs, prediction
     FROM read_json(${sqlString(path.join(dir, `${PREDICTIONS_PREFIX}*.jsonl`))}, format = 'newline_delimited', ignore_errors = true,
       columns = {request_id: 'VARCHAR', time: 'VARCHAR', version: 'BIGINT', route: 'VARCHAR', key: 'VARCHAR', inputs: 'JSON', prediction: 'JSON'})`,
    { signal: opts.signal },
  );
  for (const r of rows) {
    const time = toTime(r['time']);
    const route = r['route'] as Route;
    const inputs = parseJson(r['inputs']);
    const prediction = parseJson(r['prediction']);
    const version = Number(r['version']);
    const wellFormed =
      typeof r['request_id'] === 'string' &&
      time !== undefined &&
      ROUTES.has(route) &&
      Number.isInteger(version) &&
      inputs !== null &&
      typeof inputs === 'object' &&
      !Array.isArray(inputs) &&
      (typeof prediction === 'number' || (prediction !== null && typeof prediction === 'object'));
    if (!wellFormed) {
      out.skipped++;
      continue;
    }
    out.records.push({
      seq: out.records.length,
      request_id: r['request_id'] as string,
      time,
      version,
      route,
      ...(typeof r['key'] === 'string' ? { key: r['key'] } : {}),
      inputs: inputs as Record<string, unknown>,
      prediction: prediction as number | Record<string, number>,
    });
  }
  await joinLabels(session, dir, out, opts.signal);
  return out;
}

interface LabelRow {
  seq: number;
  request_id?: string;
  key?: string;
  label: number | string | boolean;
  time: number;
}

async function joinLabels(session: DuckSession, dir: string, log: PredictionLog, signal?: AbortSignal): Promise<void> {
  const labelDir = path.join(dir, LABELS_DIR);
  const files = (await fs.promises.readdir(labelDir).catch(() => [] as string[])).filter((f) => f.endsWith('.jsonl'));
  if (files.length === 0) return;
  const rows = await session.rows(
    `SELECT request_id, key, label, time
     FROM read_json(${sqlString(path.join(labelDir, '*.jsonl'))}, format = 'newline_delimited', ignore_errors = true,
       columns = {request_id: 'VARCHAR', key: 'VARCHAR', label: 'JSON', time: 'VARCHAR'})`,
    { signal },
  );
  const byId = new Map<string, LabelRow>();
  const byKey = new Map<string, LabelRow>();
  const later = (a: LabelRow | undefined, b: LabelRow) => !a || b.time > a.time || (b.time === a.time && b.seq > a.seq);
  rows.forEach((r, seq) => {
    const label = parseJson(r['label']);
    const time = toTime(r['time'])?.getTime() ?? -Infinity;
    const id = typeof r['request_id'] === 'string' ? r['request_id'] : undefined;
    const key = typeof r['key'] === 'string' ? r['key'] : undefined;
    if ((!id && !key) || !(typeof label === 'number' || typeof label === 'string' || typeof label === 'boolean')) {
      log.labels.skipped++;
      return;
    }
    log.labels.read++;
    const row: LabelRow = { seq, label, time, ...(id ? { request_id: id } : {}), ...(key ? { key } : {}) };
    if (id && later(byId.get(id), row)) byId.set(id, row);
    if (!id && key && later(byKey.get(key), row)) byKey.set(key, row);
  });
  for (const p of log.records) {
    const a = byId.get(p.request_id);
    const b = p.key !== undefined ? byKey.get(p.key) : undefined;
    const pick = a && b ? (later(a, b) ? b : a) : (a ?? b);
    if (!pick) continue;
    p.label = pick.label;
    if (pick === a) log.labels.by_request_id++;
    else log.labels.by_key++;
  }
}

function parseJson(v: unknown): unknown {
  if (typeof v !== 'string') return v ?? null;
  try {
    return JSON.parse(v);
  } catch {
    return null;
  }
}
