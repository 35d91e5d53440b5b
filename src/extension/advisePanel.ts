import * as vscode from 'vscode';
import type { ReportSection } from '../protocol/reportMessages';
import type { CommandContext } from './commandContext';
import { engineParams } from './engineParams';
import { showEngineError } from './engineErrors';
import { announce } from './outcome';
import { pickDataFile } from './pickData';
import { ReportPanel } from './reportPanel';

/**
 * "ProdML: Advise Serving (Static, Dynamic or Hybrid)": how peaked the requested keys are, from
 * the prediction log, and what to precompute; "Build Static Table..." writes the table the
 * prediction server answers head keys from.
 */
export async function adviseServingCommand(deps: CommandContext): Promise<void> {
  const root = deps.requireRoot('with a prodml.yaml first');
  if (!root) return;
  const model = await deps.pickModel(root, 'Advise serving for which model?');
  if (!model) return;
  const title = `Serving advice: ${model}`;
  const actions = [
    { id: 'refresh', label: 'Refresh', secondary: true },
    { id: 'static', label: 'Build Static Table…' },
  ];
  const cts = new vscode.CancellationTokenSource();
  const run = async (panel: ReportPanel) => {
    panel.update({ title, status: 'loading', message: 'Counting keys in the prediction log…', sections: [], actions: [] });
    try {
      const r = await deps.engine.request('adviseServing', { root, model }, { cancel: cts.token });
      panel.update({ title, status: 'ready', message: r.note, sections: r.sections, actions });
    } catch (e) {
      panel.update({ title, status: 'failed', message: e instanceof Error ? e.message.split('\n')[0] : String(e), sections: [], actions: [actions[0]!] });
    }
  };
  const buildStatic = async () => {
    const input = await pickDataFile('Precompute predictions for the keys in which data?', undefined, undefined, { datasets: true });
    if (!input) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Static table for ${model}`, cancellable: true }, async (progress, token) => {
      try {
        const r = await deps.engine.request(
          'staticTable',
          { root, model, input: engineParams(input).data, allowedDirectories: engineParams(input).allowedDirectories },
          { cancel: token, onProgress: (_f, phase) => progress.report({ message: phase }) },
        );
        announce(`ProdML: ${r.rows.toLocaleString('en-US')} precomputed predictions of ${model}:${r.version} in ${vscode.workspace.asRelativePath(r.file)}; the prediction server answers those keys from it.`, panel);
      } catch (e) {
        if (!token.isCancellationRequested) showEngineError(deps.log, `The static table for ${model}`, e);
      }
    });
  };
  const panel: ReportPanel = new ReportPanel(deps.extensionUri, 'prodml.advice', title, deps.log, (id) => {
    if (id === 'refresh') void run(panel);
    if (id === 'static') void buildStatic();
  });
  panel.onDidDispose(() => {
    cts.cancel();
    cts.dispose();
    panel.dispose();
  });
  await run(panel);
}
