import { addLabels as add, type AddLabelsResult } from '../serve/labels';
import type { Workspace } from '../project/workspace';
import { resolvePath, withSession } from './session';

export interface AddLabelsRequest {
  model: string;
  file: string;
  /** The column that joins to the logged key (default: the model's serving.key). */
  key?: string;
  /** The label column (default: the model's label). */
  label?: string;
}

/** Ground truth that arrives after the predictions, joined by request id or key. */
export function addLabels(ws: Workspace, req: AddLabelsRequest): Promise<AddLabelsResult> {
  return withSession(ws, [req.file], (session) => add(ws.root, req.model, resolvePath(ws, req.file), { session, ...(req.key ? { key: req.key } : {}), ...(req.label ? { label: req.label } : {}) }));
}
