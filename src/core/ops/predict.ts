/** Batch prediction, and the precomputed table that static serving answers from. */
import path from 'node:path';
import { writeStaticTable, type StaticBuildResult } from '../advise/staticTable';
import { openRegistry } from '../registry';
import type { ModelVersion } from '../registry/types';
import { resolveVersion } from '../project/resolveVersion';
import type { Workspace } from '../project/workspace';
import { outputFormatOf, predictBatch, type BatchResult } from '../serve/batchPredict';
import { phaseReporter, type OpContext } from './context';
import { duckSourceOf, importSessionOptions } from '../data/dataset';
import type { DuckSession } from '../data/duckdb';
import type { DataSource } from '../data/source';
import { resolvePath, memoryBudgetOf, withInput, withSession } from './session';

export interface PredictRequest {
  /** `m@alias`, `m:3`, or `m` (its serving alias, else the newest version). */
  model: string;
  input: string;
  output: string;
  keys?: string[];
  /** Also log every prediction to the model's prediction log (route batch). */
  log?: boolean;
}

export interface PredictResult extends BatchResult {
  version: ModelVersion;
  input: string;
  /** Set when a bare model name fell back to the newest version. */
  note?: string;
}

const rowsPhase = (done: number, total: number) => `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} rows`;

export async function predict(ws: Workspace, req: PredictRequest, ctx: OpContext = {}): Promise<PredictResult> {
  outputFormatOf(req.output);
  const { version, note } = await resolveVersion(ws.root, await openRegistry(ws.root), req.model);
  const output = resolvePath(ws, req.output);
  // A report at most every 100 ms (and the last): formatting one costs more than scoring a chunk.
  let reported = 0;
  const onProgress = (done: number, total: number) => {
    const now = performance.now();
    if (now - reported < 100 && done < total) return;
    reported = now;
    ctx.progress?.({ fraction: total ? done / total : 0, phase: rowsPhase(done, total) });
  };
  const r = await withModelInput(ws, version, req.input, [path.dirname(output)], ctx, (session, input) =>
    predictBatch(session, version, input, output, {
      ...(req.keys ? { keys: req.keys } : {}),
      ...(req.log ? { log: { root: ws.root } } : {}),
      signal: ctx.signal,
      onProgress,
    }),
  );
  const { display, ...batch } = r;
  return { ...batch, version, input: display, ...(note ? { note } : {}) };
}

export interface StaticTableRequest {
  model: string;
  input: string;
  /** Default: `.prodml/static/<model>/<version>.parquet`, the table the server reads. */
  output?: string;
  /** Precompute the N most requested keys of the prediction log. */
  top?: number;
  key?: string;
}

export interface StaticTableResult extends StaticBuildResult {
  version: ModelVersion;
  input: string;
  note?: string;
  /** Whether the server reads this table (it is at the default place). */
  served: boolean;
}

export async function staticTable(ws: Workspace, req: StaticTableRequest, ctx: OpContext = {}): Promise<StaticTableResult> {
  const { version, note } = await resolveVersion(ws.root, await openRegistry(ws.root), req.model);
  const output = req.output !== undefined ? resolvePath(ws, req.output) : undefined;
  const r = await withModelInput(ws, version, req.input, output ? [path.dirname(output)] : [], ctx, (session, input) =>
    writeStaticTable(session, ws.root, version, input, {
      ...(req.top !== undefined ? { top: req.top } : {}),
      ...(req.key !== undefined ? { key: req.key } : {}),
      ...(output ? { output } : {}),
      signal: ctx.signal,
      onProgress: phaseReporter(ctx),
    }),
  );
  const { display, ...table } = r;
  const served = path.resolve(table.file) === path.join(ws.paths.static, version.model, `${version.version}.parquet`);
  return { ...table, version, input: display, served, ...(note ? { note } : {}) };
}

/**
 * Runs `fn` on a model's input: a file, or a prodml.yaml dataset name (a database dataset is
 * streamed into DuckDB in chunks first, under the model's memory budget). `display` is how the
 * input is named to the user.
 */
async function withModelInput<T extends object>(
  ws: Workspace,
  version: ModelVersion,
  given: string,
  extraDirs: string[],
  ctx: OpContext,
  fn: (session: DuckSession, input: DataSource) => Promise<T>,
): Promise<T & { display: string }> {
  return withInput(
    ws,
    given,
    (source) =>
      withSession(
        ws,
        [given],
        async (session) => {
          const input = await duckSourceOf(session, source, ctx);
          return { ...(await fn(session, input)), display: input.display };
        },
        // DuckDB decodes the next chunks (up to 64 MB) while a chunk is scored.
        { extraDirs, streamingBufferMb: 64, ...importSessionOptions(source, memoryBudgetOf(ws, version.model)) },
      ),
    ctx,
  );
}
