import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import { engineParams } from './engineParams';
import { showEngineError } from './engineErrors';
import { pickDataFile } from './pickData';

const NO_LABEL = '(no label)';

/**
 * "ProdML: Infer Schema": writes `<name>.schema.yaml` beside the data (which then governs it),
 * asking which column is the label and never replacing an existing schema without asking.
 */
export async function inferSchemaCommand(engine: EngineClient, log: vscode.LogOutputChannel, uri?: vscode.Uri): Promise<void> {
  const data = await pickDataFile('Infer a schema from which dataset?', uri, undefined, { datasets: true });
  if (!data) return;
  const params = engineParams(data);
  const out = path.join(path.dirname(data.fsPath), `${path.basename(data.fsPath).replace(/\.[^.]+$/, '')}.schema.yaml`);
  try {
    const { columns } = await engine.request('columns', params);
    const label = await vscode.window.showQuickPick([NO_LABEL, ...columns], {
      title: `Which column of ${path.basename(data.fsPath)} is the label?`,
      placeHolder: 'The label is marked as absent in SERVING data',
    });
    if (label === undefined) return;
    let force = false;
    if (fs.existsSync(out)) {
      const replace = await vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(out)} already exists. Replace it?`, { modal: true }, 'Replace');
      if (replace !== 'Replace') return;
      force = true;
    }
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Inferring a schema from ${params.data}`, cancellable: true },
      (_progress, token) => engine.request('inferSchema', { ...params, label: label === NO_LABEL ? undefined : label, out, force }, { cancel: token }),
    );
    await vscode.window.showTextDocument(vscode.Uri.file(result.out), { preview: false });
    // A prodml.yaml dataset (no file of that name) is governed by its schema: key, not by the file's name.
    const governs = fs.existsSync(data.fsPath) ? `It now governs ${path.basename(data.fsPath)}.` : `Set schema: ${vscode.workspace.asRelativePath(result.out)} on datasets.${params.data} in prodml.yaml to validate it.`;
    void vscode.window.showInformationMessage(`ProdML: wrote ${vscode.workspace.asRelativePath(result.out)} (${result.features} features). ${governs}`);
  } catch (e) {
    showEngineError(log, 'Inferring a schema', e);
  }
}
