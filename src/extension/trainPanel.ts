import * as vscode from 'vscode';
import { fmtNum, metricLabel } from '../core/ops/numbers';
import type { Epoch } from '../protocol/engineMessages';
import { trainHostToWebviewSchema, trainResultSchema, trainWebviewToHostSchema, type TrainHostToWebview } from '../protocol/trainMessages';
import { lossCurves } from '../core/ops/charts';
import type { EngineClient } from './engineClient';
import { showEngineError } from './engineErrors';
import { announce } from './outcome';
import { webviewHtml } from './webviewHtml';

/**
 * "ProdML: Train Model": trains in the engine process with progress in the status bar and a
 * webview of live loss curves (with a Cancel button), then the evaluation and the blessing verdict.
 */
export async function trainModelCommand(deps: { engine: EngineClient; extensionUri: vscode.Uri; log: vscode.LogOutputChannel }): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('ProdML: open a folder with a prodml.yaml to train a model.');
    return;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showErrorMessage('ProdML: training runs code on your data; trust this workspace first (Workspaces: Manage Workspace Trust).');
    return;
  }
  const root = folder.uri.fsPath;
  let models: string[];
  try {
    models = (await deps.engine.request('models', { root })).models;
  } catch (e) {
    showEngineError(deps.log, 'Reading prodml.yaml', e);
    return;
  }
  if (models.length === 0) {
    void vscode.window.showErrorMessage('ProdML: prodml.yaml has no models to train; add a `models:` section.');
    return;
  }
  const model = models.length === 1 ? models[0] : await vscode.window.showQuickPick(models, { title: 'Train which model?' });
  if (!model) return;

  const dist = vscode.Uri.joinPath(deps.extensionUri, 'dist');
  const panel = vscode.window.createWebviewPanel('prodml.train', `Train: ${model}`, vscode.ViewColumn.Active, {
    enableScripts: true,
    retainContextWhenHidden: true,
    localResourceRoots: [vscode.Uri.joinPath(dist, 'webview')],
  });
  panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'prodml.svg');
  panel.webview.html = webviewHtml(panel.webview, (f) => vscode.Uri.joinPath(dist, f), 'train', `Train ${model}`);
  const cts = new vscode.CancellationTokenSource();
  let ready = false;
  type State = Omit<TrainHostToWebview, 'chart'>;
  let state: TrainHostToWebview = { type: 'state', model, status: 'running', phase: 'Starting', epochs: [], chart: lossCurves([]) };
  const post = (next: State) => {
    state = trainHostToWebviewSchema.parse({ ...next, chart: lossCurves(next.epochs) });
    if (ready) void panel.webview.postMessage(state);
  };
  panel.webview.onDidReceiveMessage((raw) => {
    const msg = trainWebviewToHostSchema.safeParse(raw);
    if (!msg.success) return deps.log.warn(`Ignored a malformed message from the training webview: ${msg.error.message}`);
    if (msg.data.type === 'ready') {
      ready = true;
      void panel.webview.postMessage(state);
    } else cts.cancel();
  });
  panel.onDidDispose(() => cts.cancel());

  const epochs: Epoch[] = [];
  await vscode.window.withProgress(
    // Progress in the status bar: the panel shows the phase and has its own Cancel, and a
    // progress notification would sit on the loss curves for the whole run.
    { location: vscode.ProgressLocation.Window, title: `Training ${model}` },
    async (progress, token) => {
      token.onCancellationRequested(() => cts.cancel());
      let reported = 0;
      try {
        const raw = await deps.engine.request('train', { root, model }, {
          cancel: cts.token,
          onProgress: (fraction, phase, epoch) => {
            if (epoch) epochs.push(epoch);
            progress.report({ message: phase, increment: Math.max(0, fraction * 100 - reported) });
            reported = Math.max(reported, fraction * 100);
            post({ type: 'state', model, status: 'running', phase, epochs: [...epochs] });
          },
        });
        const parsed = trainResultSchema.parse(raw);
        const result = { ...parsed, comparison: parsed.comparison.map((c) => ({ ...c, label: metricLabel(c.metric), modelText: fmtNum(c.model), baselineText: fmtNum(c.baseline) })) };
        post({ type: 'state', model, status: 'done', phase: `Registered ${model}:${result.version}`, epochs, result });
        const verdict = result.blessed ? 'blessed' : 'NOT blessed (registered, must not be promoted)';
        // The panel already shows the verdict beside its charts; a toast would cover them.
        announce(`ProdML: trained ${model}:${result.version}, ${verdict}`, panel);
      } catch (e) {
        const cancelled = cts.token.isCancellationRequested;
        post({ type: 'state', model, status: cancelled ? 'cancelled' : 'failed', phase: cancelled ? 'Cancelled' : 'Failed', epochs, error: e instanceof Error ? e.message.split('\n')[0] : String(e) });
        if (!cancelled) showEngineError(deps.log, `Training ${model}`, e);
      }
    },
  );
}
