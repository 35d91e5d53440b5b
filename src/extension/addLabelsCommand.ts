import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import { engineParams } from './engineParams';
import { showEngineError } from './engineErrors';
import { pickDataFile } from './pickData';

/**
 * "ProdML: Add Labels to the Prediction Log...": ground truth that arrived later (a file with the
 * request id or the model's key column, and the label) is joined to what was predicted, so the
 * Monitoring dashboard can show accuracy over time.
 */
export async function addLabelsCommand(deps: { engine: EngineClient; log: vscode.LogOutputChannel }, onAdded: (model: string) => void, given?: vscode.Uri): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return void vscode.window.showErrorMessage('ProdML: open a workspace folder with a prodml.yaml first.');
  const root = folder.uri.fsPath;
  const file = await pickDataFile('Add labels from which file?', given);
  if (!file) return;
  const models = (await deps.engine.request('models', { root })).models;
  const model = models.length === 1 ? models[0] : await vscode.window.showQuickPick(models, { title: 'Labels for which model?' });
  if (!model) return;
  try {
    const r = await deps.engine.request('labels', { root, model, file: file.fsPath, allowedDirectories: engineParams(file).allowedDirectories });
    const unmatched = r.unmatched > 0 ? `; ${r.unmatched.toLocaleString('en-US')} match no logged prediction yet` : '';
    void vscode.window.showInformationMessage(`ProdML: added ${r.added.toLocaleString('en-US')} labels for ${model}: ${r.matched.toLocaleString('en-US')} join a logged prediction${unmatched}.`);
    onAdded(model);
  } catch (e) {
    showEngineError(deps.log, `Adding labels from ${vscode.workspace.asRelativePath(file)}`, e);
  }
}
