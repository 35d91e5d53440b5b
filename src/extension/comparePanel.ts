import * as vscode from 'vscode';
import type { ReportSection } from '../protocol/reportMessages';
import type { EngineClient } from './engineClient';
import { showEngineError } from './engineErrors';
import { ReportPanel } from './reportPanel';

/**
 * "Compare With Another Version...": both versions evaluated in the engine on the same data with
 * their own saved transforms; metrics and per-slice deltas side by side, with charts.
 */
export async function compareVersionsCommand(
  deps: { engine: EngineClient; extensionUri: vscode.Uri; log: vscode.LogOutputChannel },
  root: string,
  target: { model: string; version: number; others: { version: number; aliases: string[]; created_at: string }[] },
): Promise<void> {
  if (target.others.length === 0) return void vscode.window.showInformationMessage(`ProdML: ${target.model} has only version ${target.version}; train another to compare.`);
  const pick = await vscode.window.showQuickPick(
    target.others.map((v) => ({ label: String(v.version), description: [v.aliases.join(', '), v.created_at.slice(0, 16).replace('T', ' ')].filter(Boolean).join(' · '), version: v.version })),
    { title: `Compare ${target.model}:${target.version} with which version?` },
  );
  if (!pick) return;
  const [a, b] = [Math.min(target.version, pick.version), Math.max(target.version, pick.version)];
  const title = `Compare ${target.model}: ${a} vs ${b}`;
  const cts = new vscode.CancellationTokenSource();
  const run = async (panel: ReportPanel) => {
    panel.update({ title, status: 'loading', message: `Evaluating versions ${a} and ${b} on the same data…`, sections: [], actions: [] });
    try {
      const r = await deps.engine.request('compareVersions', { root, model: target.model, a, b }, { cancel: cts.token });
      panel.update({ title, status: 'ready', message: r.note, sections: r.sections, actions: [{ id: 'refresh', label: 'Re-run', secondary: true }] });
    } catch (e) {
      panel.update({ title, status: 'failed', message: e instanceof Error ? e.message.split('\n')[0] : String(e), sections: [], actions: [{ id: 'refresh', label: 'Retry' }] });
      if (!cts.token.isCancellationRequested) showEngineError(deps.log, title, e);
    }
  };
  const panel: ReportPanel = new ReportPanel(deps.extensionUri, 'prodml.compare', title, deps.log, (id) => {
    if (id === 'refresh') void run(panel);
  });
  panel.onDidDispose(() => {
    cts.cancel();
    cts.dispose();
    panel.dispose();
  });
  await run(panel);
}
