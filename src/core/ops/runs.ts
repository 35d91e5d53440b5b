/** Pipeline run records for the Runs view: JSON files read without loading the engine (light, like ops/registry.ts). */
import { listRuns, readRun as read, stepLogPath as logPath } from '../pipeline/runStore';
import type { RunRecord, StepName } from '../pipeline/runTypes';
import type { Workspace } from '../project/workspace';

type Ws = Pick<Workspace, 'root'>;

/** Past runs, newest first. */
export function runs(ws: Ws): Promise<RunRecord[]> {
  return listRuns(ws.root);
}

export function readRun(ws: Ws, req: { id: string }): Promise<RunRecord> {
  return read(ws.root, req.id);
}

export function stepLogPath(ws: Ws, req: { id: string; step: StepName }): string {
  return logPath(ws.root, req.id, req.step);
}
