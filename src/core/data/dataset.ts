/**
 * Wherever a command takes data it also takes a dataset name from prodml.yaml: this turns the
 * argument into a file source (a path or glob, or a file dataset's glob) or an open database
 * source (a url: dataset).
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';
import { loadProjectConfig, PROJECT_FILE, type DatasetConfig, type ProjectConfig } from '../project/config';
import { openDbSource, type DbDatasetSpec, type OpenedDbSource } from './dbSource';
import { dbImportMemoryLimitMb, importIntoDuck } from './dbImport';
import type { DuckSession } from './duckdb';
import { formatOf, openSource, readRoot, type DataSource } from './source';

export type DataInput =
  | { kind: 'file'; source: DataSource; dataset?: DatasetConfig; root?: string }
  | { kind: 'db'; opened: OpenedDbSource; dataset: DatasetConfig; root: string };

export function dbSpecOf(d: DatasetConfig): DbDatasetSpec {
  if (!d.url) throw new Error(`dataset ${d.name} has no url`);
  return {
    name: d.name,
    url: d.url,
    ...(d.table !== undefined ? { table: d.table } : {}),
    ...(d.query !== undefined ? { query: d.query } : {}),
    ...(d.connect_timeout !== undefined ? { connect_timeout: d.connect_timeout } : {}),
    ...(d.query_timeout !== undefined ? { query_timeout: d.query_timeout } : {}),
  };
}

/** The nearest folder upward from `dir` that holds prodml.yaml. */
export function findWorkspaceRoot(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, PROJECT_FILE))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/** A bare word that is no file here is a dataset name. */
function looksLikePath(arg: string, cwd: string): boolean {
  return /[\\/*?[]/.test(arg) || formatOf(arg) !== undefined || fs.existsSync(path.resolve(cwd, arg));
}

/** Resolves a command's data argument; the caller closes a database source (`closeInput`). */
export async function resolveDataInput(arg: string, cwd: string, opts: { signal?: AbortSignal; root?: string; project?: ProjectConfig } = {}): Promise<DataInput> {
  if (looksLikePath(arg, cwd)) return { kind: 'file', source: await openSource(arg, cwd) };
  const root = opts.project?.root ?? opts.root ?? findWorkspaceRoot(cwd);
  const config = opts.project ?? (root ? await loadProjectConfig(root) : undefined);
  const dataset = config?.datasets.find((d) => d.name === arg);
  if (!root || !config || !dataset) {
    const known = config?.datasets.map((d) => d.name) ?? [];
    throw badInput(arg, `no such file, and no dataset of that name in ${root ? path.join(root, PROJECT_FILE) : 'a prodml.yaml (none found here or above)'}${known.length ? ` (datasets: ${known.join(', ')})` : ''}`);
  }
  if (dataset.url) return { kind: 'db', opened: await openDbSource(dbSpecOf(dataset), root, { signal: opts.signal }), dataset, root };
  if (dataset.path.length !== 1) throw badInput(`datasets.${dataset.name}.path`, `has ${dataset.path.length} globs; name one of them (${dataset.path.join(', ')}) instead of the dataset`);
  return { kind: 'file', source: await openSource(dataset.path[0]!, root), dataset, root };
}

let imports = 0;

/**
 * The input as a source DuckDB reads: a file as it is; a database dataset streamed in chunks
 * into a DuckDB table first (batch prediction and evaluation work row by row).
 */
export async function duckSourceOf(session: DuckSession, input: DataInput, opts: { signal?: AbortSignal } = {}): Promise<DataSource> {
  if (input.kind === 'file') return input.source;
  return (await importIntoDuck(session, input.opened, `prodml_input_${++imports}`, opts)).source;
}

/**
 * Session options for work that imports this input with duckSourceOf: a database dataset gets a
 * DuckDB memory limit and a spill directory, so its imported table may outgrow memory.
 */
export function importSessionOptions(input: DataInput | undefined, budgetMb?: number): { memoryLimitMb?: number } {
  return input?.kind === 'db' ? { memoryLimitMb: dbImportMemoryLimitMb(budgetMb) } : {};
}

/** Folders DuckDB must be allowed to read for these inputs (none for a database). */
export function inputDirs(...inputs: (DataInput | undefined)[]): string[] {
  return inputs.flatMap((i) => (i?.kind === 'file' ? [readRoot(i.source.path)] : []));
}

export async function closeInput(input: DataInput | undefined): Promise<void> {
  if (input?.kind === 'db') await input.opened.close();
}
