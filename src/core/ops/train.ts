import { trainFromConfig, type TrainOutcome, type TrainProgress } from '../train/run';
import { requireProject, type Workspace } from '../project/workspace';
import type { OpContext, OpProgress } from './context';

export interface TrainRequest {
  /** The prodml.yaml model (default: the only one). */
  model?: string;
}

export type { TrainOutcome };

/** Trains a prodml.yaml model, evaluates it and registers the version (blessed or not). */
export async function train(ws: Workspace, req: TrainRequest, ctx: OpContext = {}): Promise<TrainOutcome> {
  requireProject(ws, 'training');
  return trainFromConfig(ws.root, req.model, { signal: ctx.signal, onProgress: ctx.progress ? (p) => ctx.progress!(trainProgress(p)) : undefined });
}

/** " · 412,000 rows/s · ETA 9 s" for a long run's progress line. */
function pace(rowsPerSecond: number | undefined, eta: number | undefined): string {
  if (rowsPerSecond === undefined || !Number.isFinite(rowsPerSecond)) return '';
  return ` · ${Math.round(rowsPerSecond).toLocaleString('en-US')} rows/s${eta !== undefined && eta > 0 ? ` · ETA ${Math.ceil(eta)} s` : ''}`;
}

/** Training's own progress as every front end shows it: a phase line, then one point per epoch. */
export function trainProgress(p: TrainProgress): OpProgress & { message?: string } {
  if (p.phase === 'epoch-rows') return { fraction: (p.epoch - 1 + p.rowsDone / p.rows) / p.epochs, phase: p.message };
  return p.phase === 'training'
    ? { fraction: p.epoch / p.epochs, phase: `Epoch ${p.epoch}/${p.epochs}${pace(p.rowsPerSecond, p.etaSeconds)}`, epoch: { epoch: p.epoch, epochs: p.epochs, loss: p.loss, evalLoss: p.evalLoss } }
    : { fraction: 0, phase: p.message };
}
