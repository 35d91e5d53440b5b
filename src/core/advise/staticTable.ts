/**
 * Static serving's precomputed table: `prodml predict <model> --static` scores one row per head
 * key through predictBatch (the same Scorer as online serving) into
 * `.prodml/static/<model>/<version>.parquet`, with a manifest `<version>.json` beside it (model,
 * version, key, rows, sha256). The server loads the table of the version it serves, and only when
 * the manifest names that very model and version and the file's hash matches: a table is never
 * used for another version.
 */
import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckSession, sqlIdent, sqlString } from '../data/duckdb';
import type { DataSource } from '../data/source';
import { badInput } from '../errors';
import { loadProjectConfig } from '../project/config';
import { syncDir } from '../registry/durable';
import type { ModelVersion } from '../registry/types';
import { predictBatch, predictionColumns } from '../serve/batchPredict';
import { logsDir, tempBeside } from '../serve/logPaths';
import { PREDICTIONS_PREFIX } from '../serve/logTypes';
import type { Scorer } from '../serve/scorer';
import { countKeys, type KeyCounts } from './keyStats';
import { dataKeySource, logKeySource } from './keySource';
import { fmtInt } from './recommend';
import { adviseServing } from './serving';
import type { AdviceThresholds, ServingAdvice } from './types';

import { STATIC_DIR } from '../project/paths';
import { writeFileAtomic } from '../project/atomicWrite';
export { STATIC_DIR };

/** `<root>/.prodml/static/<model>/<version>.parquet`: where the server looks for a version's table. */
export function staticTablePath(root: string, model: string, version: number): string {
  return path.join(root, STATIC_DIR, model, `${version}.parquet`);
}

/** The manifest beside a table: `<name>.json` for `<name>.parquet`. */
export function staticManifestPath(table: string): string {
  return table.replace(/\.parquet$/i, '') + '.json';
}

export interface StaticManifest {
  model: string;
  version: number;
  /** The key column: the table's first column, matched against models.<m>.serving.key. */
  key: string;
  rows: number;
  columns: string[];
  created_at: string;
  /** The data the rows were scored from. */
  input: string;
  /** How the keys were chosen: every key of the input, the advice's head, or --top N of the log. */
  head: { from: 'all' | 'advice' | 'top'; requested?: number };
  /** SHA-256 of the Parquet file. */
  sha256: string;
}

export interface StaticBuildOptions {
  /** The key column (default: models.<m>.serving.key). */
  key?: string;
  /** Precompute the N most requested keys of the prediction log instead of following the advice. */
  top?: number;
  /** Where to write the table (default staticTablePath; the server reads only the default). */
  output?: string;
  thresholds?: Partial<AdviceThresholds>;
  signal?: AbortSignal;
  onProgress?: (fraction: number, phase: string) => void;
}

export interface StaticBuildResult {
  file: string;
  manifest: string;
  rows: number;
  key: string;
  head: StaticManifest['head'];
  /** Head keys asked for that the input has no row of (they stay dynamic). */
  missingKeys: number;
  /** Keys with more than one row in the input: the first row read was scored. */
  duplicateKeys: number;
  seconds: number;
  /** The advice followed, when --top was not given. */
  advice?: Pick<ServingAdvice, 'recommendation' | 'reasoning' | 'table'>;
}

export async function writeStaticTable(session: DuckSession, root: string, version: ModelVersion, input: DataSource, opts: StaticBuildOptions = {}): Promise<StaticBuildResult> {
  const t0 = performance.now();
  const { signal } = opts;
  const model = version.model;
  const servingKey = (await loadProjectConfig(root))?.models.find((m) => m.name === model)?.serving.key;
  const key = opts.key ?? servingKey;
  if (!key) throw badInput(input.display, `name the key column with --key (models.${model}.serving.key is not set); the table maps each key to its prediction`);
  const output = path.resolve(opts.output ?? staticTablePath(root, model, version.version));
  if (path.extname(output).toLowerCase() !== '.parquet') throw badInput(opts.output ?? output, 'a static table is written as Parquet: name it .parquet');
  if (opts.top !== undefined && (!Number.isInteger(opts.top) || opts.top < 1)) throw badInput(undefined, `--top must be a positive whole number, not ${opts.top}`);
  const inputKeys = await dataKeySource(session, input, key, signal);
  const progress = (f: number, phase: string) => opts.onProgress?.(f, phase);

  let head: StaticManifest['head'];
  let advice: ServingAdvice | undefined;
  let counts: KeyCounts | undefined;
  let limit = Infinity;
  try {
    if (opts.top !== undefined) {
      progress(0, 'counting the most requested keys in the prediction log');
      counts = await countKeys(session, (await logKeySource(root, model, servingKey, key)).sql, signal);
      if (counts.requests === 0) throw badInput(path.relative(root, logsDir(root, model)), `has no request with a "${key}" key to take the top ${opts.top} from`);
      limit = opts.top;
      head = { from: 'top', requested: Math.min(opts.top, counts.keys) };
    } else {
      progress(0, 'advising');
      const fromLog = await hasLog(root, model);
      advice = await adviseServing(session, root, model, { key, ...(fromLog ? {} : { data: input }), ...(opts.thresholds ? { thresholds: opts.thresholds } : {}), ...(signal ? { signal } : {}) });
      if (advice.recommendation === 'dynamic') {
        throw badInput(undefined, `the advice for ${model} is dynamic serving, so there is nothing worth precomputing: ${advice.reasoning} Pass --top N to precompute the N most requested keys anyway.`);
      }
      if (advice.recommendation === 'static') head = { from: 'all' };
      else {
        counts = await countKeys(session, advice.source.kind === 'log' ? (await logKeySource(root, model, servingKey, key)).sql : inputKeys.sql, signal);
        limit = advice.table.keys;
        head = { from: 'advice', requested: advice.table.keys };
      }
    }

    const keyText = `CAST(d.${sqlIdent(key)} AS VARCHAR)`;
    const inHead = counts ? `AND ${keyText} IN (SELECT k FROM ${counts.table} WHERE rk <= ${limit})` : '';
    // One row per key (the first read): a key has one precomputed prediction.
    const scan = `(SELECT * EXCLUDE (prodml_ord) FROM (SELECT *, row_number() OVER () AS prodml_ord FROM ${input.scan}) AS d
      WHERE ${keyText} IS NOT NULL ${inHead}
      QUALIFY row_number() OVER (PARTITION BY ${keyText} ORDER BY prodml_ord) = 1)`;
    const [st] = await session.rows(
      `SELECT count(*) - count(DISTINCT ${keyText}) AS dup${counts ? `, (SELECT count(*) FROM ${counts.table} WHERE rk <= ${limit} AND k NOT IN (SELECT ${keyText} FROM ${input.scan} AS d WHERE ${keyText} IS NOT NULL)) AS missing` : ''}
       FROM ${input.scan} AS d WHERE ${keyText} IS NOT NULL ${inHead}`,
      { signal },
    );
    const headSource: DataSource = { ...input, display: `${input.display} (its rows with ${counts ? 'a head key' : `a "${key}" value`})`, scan };

    progress(0.2, 'scoring the head keys');
    await fs.mkdir(path.dirname(output), { recursive: true });
    const r = await predictBatch(session, version, headSource, output, {
      keys: [key],
      ...(signal ? { signal } : {}),
      onProgress: (done, total) => progress(0.2 + (0.75 * done) / total, `${fmtInt(done)} / ${fmtInt(total)} keys scored`),
    });
    const manifest: StaticManifest = {
      model,
      version: version.version,
      key,
      rows: r.rows,
      columns: r.columns,
      created_at: new Date().toISOString(),
      input: input.display,
      head,
      sha256: await sha256(output),
    };
    const manifestFile = staticManifestPath(output);
    await writeFileAtomic(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
    await syncDir(path.dirname(manifestFile));
    progress(1, 'done');
    return {
      file: output,
      manifest: manifestFile,
      rows: r.rows,
      key,
      head,
      missingKeys: Number(st!['missing'] ?? 0),
      duplicateKeys: Number(st!['dup']),
      seconds: (performance.now() - t0) / 1000,
      ...(advice ? { advice: { recommendation: advice.recommendation, reasoning: advice.reasoning, table: advice.table } } : {}),
    };
  } finally {
    await counts?.drop();
  }
}

async function hasLog(root: string, model: string): Promise<boolean> {
  const files = await fs.readdir(logsDir(root, model)).catch(() => [] as string[]);
  return files.some((f) => f.startsWith(PREDICTIONS_PREFIX) && f.endsWith('.jsonl'));
}

async function sha256(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A version's precomputed predictions, loaded for serving. */
export interface StaticTable {
  model: string;
  version: number;
  key: string;
  file: string;
  /** The manifest's identity (sha256): changes when the table is rebuilt. */
  sha256: string;
  values: Map<string, number | Record<string, number>>;
}

/**
 * The table of `version`, or undefined when it has none. Throws (with the reason) when a table is
 * there but must not be used: its manifest is missing or names another model, version or key, or
 * the file's hash differs from the manifest's.
 */
export async function loadStaticTable(root: string, model: string, version: number, scorer: Pick<Scorer, 'task' | 'classes' | 'outputsPerRow'>, servingKey: string | undefined): Promise<StaticTable | undefined> {
  const file = staticTablePath(root, model, version);
  if (!(await fs.stat(file).catch(() => undefined))?.isFile()) return undefined;
  const rel = path.relative(root, file);
  let manifest: StaticManifest;
  try {
    manifest = JSON.parse(await fs.readFile(staticManifestPath(file), 'utf8')) as StaticManifest;
  } catch (e) {
    throw new Error(`${rel} has no readable manifest ${path.basename(staticManifestPath(file))} (${(e as Error).message}); rebuild it: prodml predict ${model}:${version} --static --input <data>`);
  }
  if (manifest.model !== model || manifest.version !== version) {
    throw new Error(`${rel} was built for ${manifest.model}:${manifest.version}, not ${model}:${version}; rebuild it: prodml predict ${model}:${version} --static --input <data>`);
  }
  if (!servingKey) throw new Error(`${rel} maps "${manifest.key}" to predictions, but models.${model}.serving.key is not set, so requests carry no key to look up`);
  if (manifest.key !== servingKey) throw new Error(`${rel} is keyed by "${manifest.key}", but models.${model}.serving.key is "${servingKey}"`);
  const digest = await sha256(file);
  if (digest !== manifest.sha256) throw new Error(`${rel} does not match its manifest (sha256 differs): it changed after it was built; rebuild it`);

  const preds = predictionColumns(scorer);
  const session = await DuckSession.open({ allowedDirectories: [path.dirname(file)], threads: 1 });
  try {
    const names = (await session.rows(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`)).map((r) => String(r['column_name']));
    const want = [manifest.key, ...preds.map((p) => p.name)];
    const absent = want.filter((c) => !names.includes(c));
    if (absent.length > 0) throw new Error(`${rel} has no column ${absent.join(', ')}: it was built for a model with other outputs; rebuild it`);
    const rows = await session.rows(`SELECT CAST(${sqlIdent(manifest.key)} AS VARCHAR) AS k, ${preds.map((p) => sqlIdent(p.name)).join(', ')} FROM read_parquet(${sqlString(file)})`);
    const values = new Map<string, number | Record<string, number>>();
    const classes = preds.slice(1).map((p) => p.name);
    for (const r of rows) {
      const k = r['k'];
      if (k === null || k === undefined) continue;
      values.set(String(k), scorer.task !== 'multiclass' ? Number(r['prediction']) : Object.fromEntries(classes.map((c) => [c.slice(2), Number(r[c])])));
    }
    return { model, version, key: manifest.key, file, sha256: manifest.sha256, values };
  } finally {
    session.close();
  }
}
