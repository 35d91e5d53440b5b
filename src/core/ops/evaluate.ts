import { evaluateVersion } from '../evaluate/evaluateVersion';
import type { EvaluationReport } from '../evaluate/evaluation';
import { openRegistry } from '../registry';
import { resolveVersion } from '../project/resolveVersion';
import type { Workspace } from '../project/workspace';
import type { ModelVersion } from '../registry/types';
import type { OpContext } from './context';
import { duckSourceOf, importSessionOptions } from '../data/dataset';
import type { DataSource } from '../data/source';
import { memoryBudgetOf, withInput, withSession } from './session';

export interface EvaluateRequest {
  /** `m:3`, `m@alias`, or `m` (the newest version). */
  model: string;
  data: string;
  slices?: string[];
}

export interface EvaluateResult {
  version: ModelVersion;
  data: string;
  report: EvaluationReport & { rows: number };
}

export async function evaluate(ws: Workspace, req: EvaluateRequest, ctx: OpContext = {}): Promise<EvaluateResult> {
  const { version } = await resolveVersion(ws.root, await openRegistry(ws.root), req.model, { bare: 'latest' });
  // A database dataset is streamed into DuckDB in chunks first.
  let src!: DataSource;
  const report = await withInput(ws, req.data, (input) => withSession(ws, [req.data], async (session) => {
    src = await duckSourceOf(session, input, ctx);
    return evaluateVersion(session, version, src, { slices: req.slices, signal: ctx.signal });
  }, importSessionOptions(input, memoryBudgetOf(ws, version.model))), ctx);
  return { version, data: src.display, report };
}
