import * as vscode from 'vscode';
import type { RunRecord } from '../core/ops/types';
import type { CommandContext } from './commandContext';
import { showEngineError } from './engineErrors';

/**
 * "ProdML: Run Pipeline": ingest → validate → train → evaluate → register → promote in the
 * engine process, with a cancellable progress notification; the outcome is a notification and
 * the run appears in the Runs view.
 */
export async function runPipelineCommand(deps: CommandContext, onRun: (r: RunRecord) => void): Promise<void> {
  const root = deps.requireRoot('with a prodml.yaml to run its pipeline');
  if (!root || !deps.requireTrusted('the pipeline trains models on your data')) return;
  await deps.withProgress('ProdML pipeline', async (report, token) => {
    try {
      const record = await deps.engine.request('runPipeline', { root }, { cancel: token, onProgress: report });
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
