import * as vscode from 'vscode';
import type { ReportSection } from '../protocol/reportMessages';
import type { EngineClient } from './engineClient';
import { showEngineError } from './engineErrors';
import { ReportPanel } from './reportPanel';

type TunePage = { note: string; sections: ReportSection[]; study: string; best: number | null };

/**
 * "ProdML: Tune Hyperparameters": the study runs in the engine process (random search with
 * successive halving, resumable); the trials webview redraws as each trial finishes, and the
 * best trial is registered as the candidate in one action.
 */
export async function tuneCommand(deps: { engine: EngineClient; extensionUri: vscode.Uri; log: vscode.LogOutputChannel }, onRegistered: () => void): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return void vscode.window.showErrorMessage('ProdML: open a folder with a prodml.yaml to tune a model.');
  if (!vscode.workspace.isTrusted) return void vscode.window.showErrorMessage('ProdML: tuning trains models on your data; trust this workspace first.');
  const root = folder.uri.fsPath;
  const models = (await deps.engine.request('models', { root })).models;
  if (models.length === 0) return void vscode.window.showErrorMessage('ProdML: prodml.yaml has no models to tune.');
  const model = models.length === 1 ? models[0] : await vscode.window.showQuickPick(models, { title: 'Tune which model?' });
  if (!model) return;
  const title = `Tune: ${model}`;
  let page: TunePage | undefined;
  const cts = new vscode.CancellationTokenSource();
  const actions = () => [...(page?.best !== null && page?.best !== undefined ? [{ id: 'register', label: `Register Trial ${page.best} as Candidate` }] : [])];
  const register = async () => {
    if (!page) return;
    const study = page.study;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Registering the best trial of ${model}`, cancellable: true }, async (progress, token) => {
      try {
        const r = await deps.engine.request('registerBestTrial', { root, model, study }, { cancel: token, onProgress: (_f, phase) => progress.report({ message: phase }) });
        onRegistered();
        void vscode.window.showInformationMessage(
          r.candidate !== null
            ? `ProdML: trial ${r.trial} registered as ${model}:${r.version}, blessed, now the candidate (promote it from the Models view).`
            : `ProdML: trial ${r.trial} registered as ${model}:${r.version}, not blessed, so not made the candidate.`,
        );
      } catch (e) {
        if (!token.isCancellationRequested) showEngineError(deps.log, 'Registering the best trial', e);
      }
    });
  };
  const panel: ReportPanel = new ReportPanel(deps.extensionUri, 'prodml.tune', title, deps.log, (id) => {
    if (id === 'register') void register();
  });
  panel.onDidDispose(() => {
    cts.cancel();
    panel.dispose();
  });
  panel.update({ title, status: 'loading', message: 'Loading the training data…', sections: [], actions: [] });
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Tuning ${model}`, cancellable: true }, async (progress, token) => {
    token.onCancellationRequested(() => cts.cancel());
    let reported = 0;
    try {
      page = (await deps.engine.request(
        'tune',
        { root, model },
        {
          cancel: cts.token,
          onProgress: (fraction, phase, _epoch, partial) => {
            progress.report({ message: phase, increment: Math.max(0, fraction * 100 - reported) });
            reported = Math.max(reported, fraction * 100);
            if (partial) page = partial as TunePage;
            panel.update({ title, status: 'loading', message: phase, sections: page?.sections ?? [], actions: actions() });
          },
        },
      )) as TunePage;
      panel.update({ title, status: 'ready', message: page.note, sections: page.sections, actions: actions() });
    } catch (e) {
      const cancelled = cts.token.isCancellationRequested;
      panel.update({ title, status: 'failed', message: cancelled ? 'Cancelled: run it again to resume the study.' : e instanceof Error ? e.message.split('\n')[0] : String(e), sections: page?.sections ?? [], actions: actions() });
      if (!cancelled) showEngineError(deps.log, `Tuning ${model}`, e);
    }
  });
}
