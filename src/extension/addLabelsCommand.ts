import * as vscode from 'vscode';
import type { CommandContext } from './commandContext';
import { engineParams } from './engineParams';
import { showEngineError } from './engineErrors';
import { pickDataFile } from './pickData';

/**
 * "ProdML: Add Labels to the Prediction Log...": ground truth that arrived later (a file with the
 * request id or the model's key column, and the label) is joined to what was predicted, so the
 * Monitoring dashboard can show accuracy over time.
 */
export async function addLabelsCommand(deps: CommandContext, onAdded: (model: string) => void, given?: vscode.Uri): Promise<void> {
  const root = deps.requireRoot('with a prodml.yaml first');
  if (!root) return;
  const file = await pickDataFile('Add labels from which file?', given);
  if (!file) return;
  const model = await deps.pickModel(root, 'Labels for which model?');
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
