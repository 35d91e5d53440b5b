import path from 'node:path';
import * as vscode from 'vscode';
import { modelSummaries } from '../core/ops/registry';
import type { CommandContext } from './commandContext';
import { engineParams } from './engineParams';
import { showEngineError } from './engineErrors';
import { pickDataFile } from './pickData';

/**
 * "ProdML: Batch Predict...": scores a whole data file with a registered version in the engine
 * process (streamed through DuckDB, the same transforms as training), with progress and cancel.
 */
export async function batchPredictCommand(deps: CommandContext, given?: vscode.Uri): Promise<void> {
  const root = deps.requireRoot('with registered models first');
  if (!root || !deps.requireTrusted('batch prediction runs a model on your data')) return;
  const models = await modelSummaries({ root });
  if (models.length === 0) return void vscode.window.showErrorMessage('ProdML: no registered models yet; train one first (ProdML: Train Model).');
  const choices = models.flatMap((m) => [
    ...Object.entries(m.aliases).map(([alias, v]) => ({ label: `${m.model}@${alias}`, description: `version ${v}` })),
    ...(m.latest !== undefined ? [{ label: `${m.model}:${m.latest}`, description: 'latest version' }] : []),
  ]);
  const ref = choices.length === 1 ? choices[0] : await vscode.window.showQuickPick(choices, { title: 'Predict with which model version?' });
  if (!ref) return;
  const input = await pickDataFile('Predict for which data?', given, undefined, { datasets: true });
  if (!input) return;
  const base = input.fsPath.replace(/\.(csv|tsv|parquet|jsonl?|ndjson)$/i, '');
  const suggested = vscode.Uri.file(`${base}.predictions.parquet`);
  const output = await vscode.window.showSaveDialog({ title: 'Write the predictions to', defaultUri: suggested, filters: { Parquet: ['parquet'], CSV: ['csv'], 'JSON Lines': ['jsonl'] } });
  if (!output) return;
  if (output.fsPath === input.fsPath) return void vscode.window.showErrorMessage('ProdML: the output would overwrite the input; choose another file.');
  const params = engineParams(input);
  const allowed = new Set([...params.allowedDirectories, path.dirname(output.fsPath)]);
  // The result is announced after the progress notification closed: a finished job offers no Cancel.
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Predicting with ${ref.label}`, cancellable: true },
    async (progress, token) => {
      let reported = 0;
      try {
        return await deps.engine.request(
          'predict',
          // (a dataset goes by its name: engineParams gives it relative to the workspace)
          { root, model: ref.label, input: params.data, output: output.fsPath, allowedDirectories: [...allowed] },
          {
            cancel: token,
            onProgress: (fraction, phase) => {
              progress.report({ message: phase, increment: Math.max(0, fraction * 100 - reported) });
              reported = Math.max(reported, fraction * 100);
            },
          },
        );
      } catch (e) {
        if (!token.isCancellationRequested) showEngineError(deps.log, `Predicting with ${ref.label}`, e);
        return undefined;
      }
    },
  );
  if (!r) return;
  const open = await vscode.window.showInformationMessage(
    `ProdML: wrote ${r.rows.toLocaleString('en-US')} predictions to ${vscode.workspace.asRelativePath(output)} in ${r.seconds.toFixed(1)} s.`,
    'Profile Output',
  );
  if (open) await vscode.commands.executeCommand('prodml.profileDataset', output);
}
