import * as vscode from 'vscode';
import type { RunRecord } from '../core/ops/types';
import type { EngineClient } from './engineClient';
import { showEngineError } from './engineErrors';

/**
 * "ProdML: Run Pipeline": ingest → validate → train → evaluate → register → promote in the
 * engine process, with a cancellable progress notification; the outcome is a notification and
 * the run appears in the Runs view.
 */
export async function runPipelineCommand(deps: { engine: EngineClient; log: vscode.LogOutputChannel }, onRun: (r: RunRecord) => void): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return void vscode.window.showErrorMessage('ProdML: open a folder with a prodml.yaml to run its pipeline.');
  if (!vscode.workspace.isTrusted) return void vscode.window.showErrorMessage('ProdML: the pipeline trains models on your data; trust this workspace first.');
  const root = folder.uri.fsPath;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ProdML pipeline', cancellable: true }, async (progress, token) => {
    let reported = 0;
    try {
      const record = await deps.engine.request(
        'runPipeline',
        { root },
        {
          cancel: token,
          onProgress: (fraction, phase) => {
            progress.report({ message: phase, increment: Math.max(0, fraction * 100 - reported) });
            reported = Math.max(reported, fraction * 100);
          },
        },
      );
      onRun(record);
      announceRun(record);
    } catch (e) {
      if (!token.isCancellationRequested) showEngineError(deps.log, 'The pipeline', e);
    }
  });
}

/** A finished run as a notification: its outcome in one line, the Runs view one click away. */
export function announceRun(r: RunRecord, how = ''): void {
  const text = `ProdML pipeline${how ? ` (${how})` : ''}: ${r.summary}`;
  const show = r.status === 'succeeded' ? vscode.window.showInformationMessage : r.status === 'failed' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
  void show(text, 'Show Runs').then((a) => a && vscode.commands.executeCommand('prodml.runs.focus'));
}
