import path from 'node:path';
import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import { engineParams } from './engineParams';
import { showEngineError } from './engineErrors';
import { pickDataFile } from './pickData';

/**
 * "ProdML: Import Model (ONNX)...": a model trained elsewhere (scikit-learn, PyTorch, XGBoost)
 * becomes a registry version. The engine checks its inputs against the chosen data, evaluates and
 * blesses it like a trained version; a bad file is an error notification naming the problem.
 */
export async function importModelCommand(deps: { engine: EngineClient; log: vscode.LogOutputChannel }, onImported: (model: string) => void, given?: vscode.Uri, givenModel?: string): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return void vscode.window.showErrorMessage('ProdML: open a workspace folder first.');
  const root = folder.uri.fsPath;
  const file = given ?? (await pickOnnxFile());
  if (!file) return;
  const suggested = givenModel ?? path.basename(file.fsPath, path.extname(file.fsPath)).replace(/[^A-Za-z0-9_.-]/g, '_');
  const model = await vscode.window.showInputBox({
    title: `Register ${path.basename(file.fsPath)} as a version of which model?`,
    value: suggested,
    validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(v) ? undefined : "letters, digits, '.', '_' and '-', starting with a letter or digit"),
  });
  if (!model) return;
  const data = await pickDataFile('Check the model on which data (with the label column)?', undefined, undefined, { datasets: true });
  if (!data) return;
  const params = engineParams(data);
  const columns = (await deps.engine.request('columns', { data: params.data, cwd: params.cwd, allowedDirectories: params.allowedDirectories })).columns;
  const label = await vscode.window.showQuickPick(columns, { title: 'Which column does the model predict?' });
  if (!label) return;
  const features = await vscode.window.showInputBox({
    title: "Columns in the order of the model's input",
    prompt: 'Comma-separated, e.g. f1,f2,f3. Leave empty when the graph takes one input per column, named after it.',
    placeHolder: columns.filter((c) => c !== label).join(','),
  });
  if (features === undefined) return;
  const list = features.split(',').map((s) => s.trim()).filter(Boolean);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Importing ${path.basename(file.fsPath)}`, cancellable: true }, async (progress, token) => {
    try {
      const r = await deps.engine.request(
        'importModel',
        { root, file: file.fsPath, model, label, dataset: params.data, ...(list.length > 0 ? { features: list } : {}), allowedDirectories: [...params.allowedDirectories, path.dirname(file.fsPath)] },
        { cancel: token, onProgress: (_f, phase) => progress.report({ message: phase }) },
      );
      onImported(model);
      const failed = r.checks.filter((c) => !c.passed).map((c) => c.reason);
      const text = `ProdML: imported ${path.basename(file.fsPath)} (${r.producer || 'unknown producer'}) as ${model}:${r.version}, ${r.blessed ? 'blessed' : `not blessed: ${failed.join('; ')}`}.`;
      // Promotion stays a deliberate step in the Models view, as for a trained version.
      if (r.blessed) void vscode.window.showInformationMessage(text);
      else void vscode.window.showWarningMessage(text);
    } catch (e) {
      if (!token.isCancellationRequested) showEngineError(deps.log, `Importing ${path.basename(file.fsPath)}`, e);
    }
  });
}

async function pickOnnxFile(): Promise<vscode.Uri | undefined> {
  const files = (await vscode.workspace.findFiles('**/*.onnx', '{**/node_modules/**,**/.prodml/**}', 1000)).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const browse = { label: '$(folder-opened) Browse...', description: 'a file outside the workspace' };
  const picked = await vscode.window.showQuickPick([...files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })), browse], { title: 'Import which ONNX model?' });
  if (!picked) return undefined;
  if ('uri' in picked) return picked.uri;
  return (await vscode.window.showOpenDialog({ title: 'Import which ONNX model?', canSelectMany: false, filters: { ONNX: ['onnx'] } }))?.[0];
}
