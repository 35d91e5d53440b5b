import { adviseServing as advise, type AdviceThresholds, type ServingAdvice } from '../advise';
import type { Workspace } from '../project/workspace';
import { phaseReporter, type OpContext } from './context';
import { pickKnownModel } from './knownModels';
import { duckSourceOf, importSessionOptions, type DataInput } from '../data/dataset';
import { memoryBudgetOf, withInput, withSession } from './session';

export interface AdviseRequest {
  model?: string;
  /** Read keys from this data (one row per request) instead of the prediction log. */
  data?: string;
  key?: string;
  thresholds?: Partial<AdviceThresholds>;
}

export type { ServingAdvice };

/** Static, dynamic or hybrid serving, from how peaked the requested keys are. */
export async function adviseServing(ws: Workspace, req: AdviseRequest, ctx: OpContext = {}): Promise<ServingAdvice> {
  const model = await pickKnownModel(ws, req.model, 'advise on', { allowUnknown: req.data !== undefined });
  const run = (input?: DataInput) =>
    withSession(ws, [req.data], async (session) => {
      // A database dataset's keys are streamed into DuckDB in chunks first.
      const data = input ? await duckSourceOf(session, input, ctx) : undefined;
      return advise(session, ws.root, model, {
        ...(req.key ? { key: req.key } : {}),
        ...(data ? { data } : {}),
        ...(req.thresholds ? { thresholds: req.thresholds } : {}),
        signal: ctx.signal,
        onProgress: phaseReporter(ctx),
      });
    }, importSessionOptions(input, memoryBudgetOf(ws, model)));
  return req.data !== undefined ? withInput(ws, req.data, run, ctx) : run();
}
