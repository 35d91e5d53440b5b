import path from 'node:path';
import { badInput } from '../errors';
import type { DataSource } from '../data/source';
import { compareVersions, comparisonSummary, heldOutSource, type VersionComparison } from '../evaluate/compareVersions';
import { PROJECT_FILE } from '../project/config';
import type { Workspace } from '../project/workspace';
import { openRegistry, parseVersionRef } from '../registry';
import type { OpContext } from './context';
import { duckSourceOf, importSessionOptions, type DataInput } from '../data/dataset';
import { withInput, withSession } from './session';

export interface CompareRequest {
  model: string;
  /** `3`, `latest` or `@production`. */
  a: string | number;
  b: string | number;
  /** Data with the label; default: the model's held-out split, reproduced from prodml.yaml. */
  data?: string;
  slices?: string[];
}

export interface CompareResult {
  comparison: VersionComparison;
  notes: string[];
}

/** Two versions evaluated on the same data with their own saved transforms. */
export async function compare(ws: Workspace, req: CompareRequest, ctx: OpContext = {}): Promise<CompareResult> {
  const registry = await openRegistry(ws.root);
  const [a, b] = [await registry.getVersion(req.model, parseVersionRef(req.a)), await registry.getVersion(req.model, parseVersionRef(req.b))];
  const m = ws.project?.models.find((x) => x.name === req.model);
  if (!req.data && !m) throw badInput(ws.project?.file ?? path.join(ws.root, PROJECT_FILE), `has no model "${req.model}" to take the data from: give --data <data>`);
  const run = (input?: DataInput) =>
    withSession(ws, [req.data], async (session) => {
      let data: DataSource;
      let notes: string[] = [];
      // A database dataset is streamed into DuckDB in chunks first.
      if (input) data = await duckSourceOf(session, input, ctx);
      else ({ source: data, notes } = await heldOutSource(session, ws.project!, m!, [a, b], ctx.signal));
      const comparison = await compareVersions(session, a, b, data, { slices: req.slices ?? m?.validation.slices, signal: ctx.signal });
      return { comparison, notes };
    }, importSessionOptions(input, m?.training.memory_budget_mb));
  return req.data ? withInput(ws, req.data, run, ctx) : run();
}

export { comparisonSummary };
