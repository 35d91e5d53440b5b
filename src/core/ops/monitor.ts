import fs from 'node:fs';
import { badInput } from '../errors';
import { monitorModel, type MonitorReport } from '../monitor';
import type { Workspace } from '../project/workspace';
import type { OpContext } from './context';
import { pickKnownModel } from './knownModels';
import { withSession } from './session';

export interface MonitorRequest {
  /** Default: the only model prodml.yaml or the logs know. */
  model?: string;
  /** Only instances from this date or instant on. */
  since?: string;
}

export type { MonitorReport };

/** Windows over the prediction log: traffic, metrics once labelled, drift, alerts. */
export async function monitor(ws: Workspace, req: MonitorRequest, ctx: OpContext = {}): Promise<MonitorReport> {
  const model = await pickKnownModel(ws, req.model, 'monitor');
  if (req.since !== undefined && Number.isNaN(new Date(req.since).getTime())) throw badInput(undefined, `--since: "${req.since}" is not a date (use e.g. 2025-05-01 or 2025-05-01T12:00:00Z)`);
  return withSession(ws, [], (session) => monitorModel(session, ws.root, model, { signal: ctx.signal, ...(req.since ? { since: req.since } : {}) }));
}

/** prodml.yaml's text, for pages that point at a line of it. */
export function projectText(ws: Workspace): Promise<string | undefined> {
  return ws.project ? fs.promises.readFile(ws.project.file, 'utf8').catch(() => undefined) : Promise.resolve(undefined);
}
