import * as vscode from 'vscode';
import type { ReportSection } from '../protocol/reportMessages';
import type { CommandContext } from './commandContext';
import { showEngineError } from './engineErrors';
import { announce } from './outcome';
import { ReportPanel } from './reportPanel';

const CANCEL = { id: 'cancel', label: 'Cancel', secondary: true };

type TunePage = { note: string; sections: ReportSection[]; study: string; best: number | null };

/**
 * "ProdML: Tune Hyperparameters": the study runs in the engine process (random search with
 * successive halving, resumable); the trials webview redraws as each trial finishes, and the
 * best trial is registered as the candidate in one action.
 */
export async function tuneCommand(deps: CommandContext, onRegistered: () => void): Promise<void> {
  const root = deps.requireRoot('with a prodml.yaml to tune a model');
  if (!root || !deps.requireTrusted('tuning trains models on your data')) return;
  const model = await deps.pickModel(root, 'Tune which model?', 'prodml.yaml has no models to tune.');
  if (!model) return;
  const title = `Tune: ${model}`;
  let page: TunePage | undefined;
  const cts = new vscode.CancellationTokenSource();
  /** The trial registered from this panel: its button goes, so it is not registered twice. */
  let registered: string | undefined;
  const actions = () => [...(page?.best !== null && page?.best !== undefined && registered !== `${page.study}:${page.best}` ? [{ id: 'register', label: `Register Trial ${page.best} as Candidate` }] : [])];
  const register = async () => {
    if (!page) return;
    const study = page.study;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Registering the best trial of ${model}` }, async (progress) => {
      try {
        const r = await deps.engine.request('registerBestTrial', { root, model, study }, { onProgress: (_f, phase) => progress.report({ message: phase }) });
        registered = `${study}:${r.trial}`;
        onRegistered();
        const outcome =
          r.candidate !== null
            ? `ProdML: trial ${r.trial} registered as ${model}:${r.version}, blessed, now the candidate (promote it from the Models view).`
            : `ProdML: trial ${r.trial} registered as ${model}:${r.version}, not blessed, so not made the candidate.`;
        // The trials panel says it under its title; a toast would cover its charts.
        if (page) panel.update({ title, status: 'ready', message: `${outcome.replace(/^ProdML: /, '')} ${page.note}`, sections: page.sections, actions: actions() });
        announce(outcome, panel);
      } catch (e) {
        showEngineError(deps.log, 'Registering the best trial', e);
      }
    });
  };
  const panel: ReportPanel = new ReportPanel(deps.extensionUri, 'prodml.tune', title, deps.log, (id) => {
    if (id === 'register') void register();
    if (id === 'cancel') cts.cancel();
  });
  const running = () => [...actions(), CANCEL];
  panel.onDidDispose(() => {
    cts.cancel();
    panel.dispose();
  });
  panel.update({ title, status: 'loading', message: 'Loading the training data…', sections: [], actions: [CANCEL] });
  // Progress in the status bar and the panel (with its Cancel): a notification would cover the trial charts.
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Tuning ${model}` }, async (progress) => {
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
            panel.update({ title, status: 'loading', message: phase, sections: page?.sections ?? [], actions: running() });
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
