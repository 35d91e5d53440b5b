/**
 * A DuckDB session for one operation, confined to what it may read: the workspace, the folders
 * the front end allows (`ws.readable`), and the folders of the data the request names.
 */
import path from 'node:path';
import { DuckSession } from '../data/duckdb';
import { closeInput, resolveDataInput, type DataInput } from '../data/dataset';
import type { Relation } from '../data/profile';
import { openSource, readRoot, type DataSource } from '../data/source';
import type { Workspace } from '../project/workspace';

export async function withSession<T>(ws: Workspace, data: readonly (string | undefined)[], run: (session: DuckSession) => Promise<T>, opts: { extraDirs?: string[]; preserveInsertionOrder?: boolean; memoryLimitMb?: number; streamingBufferMb?: number } = {}): Promise<T> {
  const dirs = new Set([ws.root, ws.cwd, ...ws.readable, ...(opts.extraDirs ?? [])]);
  // (a dataset name adds the cwd, already allowed)
  for (const d of data) if (d !== undefined) dirs.add(readRoot(d, ws.cwd));
  const session = await DuckSession.open({ allowedDirectories: [...dirs], ...(opts.preserveInsertionOrder === false ? { preserveInsertionOrder: false } : {}), ...(opts.memoryLimitMb !== undefined ? { memoryLimitMb: opts.memoryLimitMb } : {}), ...(opts.streamingBufferMb !== undefined ? { streamingBufferMb: opts.streamingBufferMb } : {}) });
  try {
    return await run(session);
  } finally {
    session.close();
  }
}

/** The model's training.memory_budget_mb, when prodml.yaml declares the model and sets one. */
export function memoryBudgetOf(ws: Workspace, model: string | undefined): number | undefined {
  return ws.project?.models.find((m) => m.name === model)?.training.memory_budget_mb;
}

/**
 * A file or glob, or a prodml.yaml dataset name (a database dataset opened, its table or query
 * checked): `use` runs with it and the database connection is closed after.
 */
export async function withInput<T>(ws: Workspace, given: string, use: (input: DataInput) => Promise<T>, ctx: { signal?: AbortSignal } = {}): Promise<T> {
  const input = await resolveDataInput(given, ws.cwd, { ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ws.project ? { project: ws.project } : { root: ws.root }) });
  try {
    return await use(input);
  } finally {
    await closeInput(input);
  }
}

/** What the profiler and validator read: a file source, or a database relation (pushdown). */
export function profiled(input: DataInput): DataSource | Relation {
  return input.kind === 'file' ? input.source : input.opened.relation;
}

/** A file, glob or dataset the user named, resolved against the workspace's cwd. */
export function source(ws: Workspace, given: string): Promise<DataSource> {
  return openSource(given, ws.cwd);
}

/** A path the user typed, absolute. */
export function resolvePath(ws: Workspace, given: string): string {
  return path.resolve(ws.cwd, given);
}

/** A path the user typed, as typed when it means the same from this process's folder (messages then show it as given). */
export function userPath(ws: Workspace, given: string): string {
  return path.resolve(given) === path.resolve(ws.cwd, given) ? given : path.resolve(ws.cwd, given);
}
