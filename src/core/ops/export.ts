/** `prodml export` and "ProdML: Export Model...": a version as one ONNX file or a static web folder. */
import { exportModel as exportVersionOf, type ExportRequest, type ExportResult } from '../export/exportModel';
import type { Workspace } from '../project/workspace';
import type { OpContext } from './context';

export type { ExportRequest, ExportResult };

export async function exportModel(ws: Workspace, req: ExportRequest, ctx: OpContext = {}): Promise<ExportResult> {
  ctx.progress?.({ fraction: 0, phase: `Exporting ${req.model} as ${req.format}` });
  return exportVersionOf(ws, req);
}
