/** Models and predictions from elsewhere: `prodml models import` (ONNX) and `prodml logs import`. */
import { importOnnx, type ImportOnnxRequest, type ImportOnnxResult } from '../onnx/importOnnx';
import type { Workspace } from '../project/workspace';
import { importLogs, type ImportLogsRequest, type ImportLogsResult } from '../serve/importLogs';
import type { OpContext } from './context';
import { resolvePath } from './session';

export type ImportModelRequest = ImportOnnxRequest;
export type { ImportOnnxResult as ImportModelResult, ImportLogsRequest, ImportLogsResult };

/** Registers an ONNX model as a new version: contract checked, evaluated, blessed (or not). Paths are the user's (relative to ws.cwd). */
export async function importModel(ws: Workspace, req: ImportModelRequest, ctx: OpContext = {}): Promise<ImportOnnxResult> {
  const named = req.dataset !== undefined && (ws.project?.datasets ?? []).some((d) => d.name === req.dataset);
  return importOnnx(
    ws.root,
    { ...req, file: resolvePath(ws, req.file), ...(req.dataset !== undefined ? { dataset: named ? req.dataset : resolvePath(ws, req.dataset) } : {}) },
    { ...(ctx.signal ? { signal: ctx.signal } : {}), progress: (phase) => ctx.progress?.({ fraction: 0, phase }) },
  );
}

/** Appends predictions logged by another system to the model's prediction log (once). */
export async function importPredictionLogs(ws: Workspace, req: ImportLogsRequest, ctx: OpContext = {}): Promise<ImportLogsResult> {
  return importLogs(ws.root, { ...req, file: resolvePath(ws, req.file) }, ctx.signal ? { signal: ctx.signal } : {});
}
