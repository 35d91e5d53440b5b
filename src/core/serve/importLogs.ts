/**
 * `prodml logs import`: predictions logged by another serving system join the model's prediction
 * log, so the dashboard, drift, accuracy over time and alerts work for a model ProdML never
 * served. Each row becomes a PredictionRecord (logTypes.ts) in a file of its own, named by the
 * content hash of the source file and renamed into place whole: importing the same file twice
 * adds nothing, and with --id-column a row whose id is already logged is skipped too. Labels go
 * to a label file joined by request id, as labels added later are.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckSession, sqlString } from '../data/duckdb';
import { openSource } from '../data/source';
import { badInput } from '../errors';
import { toDate, toNumber } from '../features/apply';
import { openRegistry } from '../registry';
import { labelsDir, logsDir, tempBeside } from './logPaths';
import { PREDICTIONS_PREFIX, type LabelRecord, type PredictionRecord } from './logTypes';

export interface ImportLogsRequest {
  /** A CSV, Parquet or JSON-lines file of logged predictions. */
  file: string;
  model: string;
  timeColumn: string;
  /** Default: "prediction". */
  predictionColumn?: string;
  labelColumn?: string;
  /** Rows with the same id are the same prediction: logged once. */
  idColumn?: string;
  /** The registry version that made the predictions; default: production's, else 0 (not in the registry). */
  version?: number;
}

export interface ImportLogsResult {
  model: string;
  file: string;
  rows: number;
  /** Records appended to the log (0 when the file was imported before). */
  added: number;
  /** Rows already in the log (same file, or same id). */
  skipped: number;
  labels: number;
  version: number;
  log_file?: string;
}

export async function importLogs(root: string, req: ImportLogsRequest, ctx: { signal?: AbortSignal } = {}): Promise<ImportLogsResult> {
  const registry = await openRegistry(root);
  registry.modelDir(req.model); // the model name becomes a folder: check it first
  const src = await openSource(req.file, root);
  const content = await fs.readFile(src.path).catch((e: Error) => {
    throw badInput(req.file, `cannot read: ${e.message}`);
  });
  const hash = crypto.createHash('sha256').update(content).digest('hex').slice(0, 16);
  const dir = logsDir(root, req.model);
  const version = req.version ?? (await registry.getVersion(req.model, '@production').then((v) => v.version, () => 0));
  const duck = await DuckSession.open({ allowedDirectories: [root, path.dirname(src.path)] });
  try {
    const rows = await duck.rows(`SELECT * FROM ${src.scan}`, { signal: ctx.signal });
    const predictionColumn = req.predictionColumn ?? 'prediction';
    const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
    for (const [what, c] of [['time', req.timeColumn], ['prediction', predictionColumn], ['label', req.labelColumn], ['id', req.idColumn]] as const) {
      if (c !== undefined && !columns.includes(c)) throw badInput(req.file, `has no ${what} column "${c}" (columns: ${columns.join(', ') || 'none'})`);
    }
    if (rows.length === 0) throw badInput(req.file, 'has no rows');
    const existing = await fs.readdir(dir).catch(() => [] as string[]);
    const mine = existing.find((f) => f.startsWith(PREDICTIONS_PREFIX) && f.endsWith(`-import-${hash}.jsonl`));
    if (mine) return { model: req.model, file: req.file, rows: rows.length, added: 0, skipped: rows.length, labels: 0, version, log_file: path.join(dir, mine) };
    const loggedIds = req.idColumn ? await loggedRequestIds(duck, dir) : new Set<string>();

    const lines: string[] = [];
    const labels: string[] = [];
    let skipped = 0;
    let first: Date | undefined;
    const now = new Date().toISOString();
    rows.forEach((row, i) => {
      const line = i + 1;
      const time = toDate(row[req.timeColumn]);
      if (!time) throw badInput(req.file, `row ${line}: ${req.timeColumn} ${JSON.stringify(String(row[req.timeColumn]))} is not a date or time`);
      const raw = row[predictionColumn];
      const n = toNumber(raw);
      const prediction: PredictionRecord['prediction'] | undefined = n !== null ? n : typeof raw === 'string' && raw !== '' ? { [raw]: 1 } : undefined;
      if (prediction === undefined) throw badInput(req.file, `row ${line}: ${predictionColumn} is empty; every logged row needs its prediction`);
      const id = req.idColumn ? String(row[req.idColumn]) : `${hash}-${i}`;
      const requestId = req.idColumn ? `ext-${id}` : `import-${id}`;
      if (loggedIds.has(requestId)) {
        skipped++;
        return;
      }
      loggedIds.add(requestId);
      const inputs = Object.fromEntries(Object.entries(row).filter(([k]) => k !== predictionColumn && k !== req.labelColumn && k !== req.idColumn).map(([k, v]) => [k, json(v)]));
      const rec: PredictionRecord = { request_id: requestId, time: time.toISOString(), model: req.model, version, route: 'primary', inputs, prediction };
      lines.push(JSON.stringify(rec));
      if (!first || time < first) first = time;
      const label = req.labelColumn ? row[req.labelColumn] : undefined;
      if (label !== undefined && label !== null && label !== '') {
        const l: LabelRecord = { request_id: requestId, label: typeof label === 'bigint' ? Number(label) : (label as LabelRecord['label']), time: now };
        labels.push(JSON.stringify(l));
      }
    });
    if (lines.length === 0) return { model: req.model, file: req.file, rows: rows.length, added: 0, skipped, labels: 0, version };
    await fs.mkdir(labelsDir(root, req.model), { recursive: true });
    // Labels first: a label without its prediction joins nothing, a prediction is never half-imported.
    if (labels.length > 0) await writeWhole(path.join(labelsDir(root, req.model), `labels-import-${hash}.jsonl`), labels);
    const logFile = path.join(dir, `${PREDICTIONS_PREFIX}${first!.toISOString().slice(0, 10)}-import-${hash}.jsonl`);
    await writeWhole(logFile, lines);
    return { model: req.model, file: req.file, rows: rows.length, added: lines.length, skipped, labels: labels.length, version, log_file: logFile };
  } finally {
    duck.close();
  }
}

async function loggedRequestIds(duck: DuckSession, dir: string): Promise<Set<string>> {
  const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith(PREDICTIONS_PREFIX) && f.endsWith('.jsonl'));
  if (files.length === 0) return new Set();
  const rows = await duck.rows(`SELECT request_id FROM read_json(${sqlString(path.join(dir, `${PREDICTIONS_PREFIX}*.jsonl`))}, format = 'newline_delimited', ignore_errors = true, columns = {request_id: 'VARCHAR'})`);
  return new Set(rows.map((r) => String(r['request_id'])));
}

async function writeWhole(file: string, lines: string[]): Promise<void> {
  const tmp = tempBeside(file);
  await fs.writeFile(tmp, lines.join('\n') + '\n');
  await fs.rename(tmp, file);
}

/** A value as JSON holds it: dates as ISO strings, bigints as numbers. */
function json(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return Number(v);
  return v;
}
