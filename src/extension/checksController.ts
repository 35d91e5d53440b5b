import * as vscode from 'vscode';
import path from 'node:path';
import type { LeakageFinding, LineFinding } from '../core/ops/types';
import type { ReportSection } from '../protocol/reportMessages';
import type { EngineClient } from './engineClient';
import { showEngineError } from './engineErrors';
import { announce } from './outcome';
import { ReportPanel } from './reportPanel';

const CANCEL = { id: 'cancel', label: 'Cancel', secondary: true };
import type { Problems, Producer } from './problems';

type Deps = { engine: EngineClient; extensionUri: vscode.Uri; log: vscode.LogOutputChannel };

/**
 * The adaptable-system checks in the editor: "Check Features for Leakage" puts each finding on
 * the feature's entry in prodml.yaml (Problems panel) and shows the evidence; "Show Feature
 * Value" charts each feature's importance beside its cost.
 */
export class ChecksController implements vscode.Disposable {

  constructor(
    private readonly deps: Deps,
    private readonly problems: Problems,
  ) {}

  private async pick(title: string): Promise<{ root: string; model: string } | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      void vscode.window.showErrorMessage('ProdML: open a workspace folder with a prodml.yaml first.');
      return undefined;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('ProdML: these checks run models on your data; trust this workspace first.');
      return undefined;
    }
    const root = folder.uri.fsPath;
    const models = (await this.deps.engine.request('models', { root })).models;
    if (models.length === 0) {
      void vscode.window.showErrorMessage('ProdML: prodml.yaml declares no models.');
      return undefined;
    }
    const model = models.length === 1 ? models[0] : await vscode.window.showQuickPick(models, { title });
    return model ? { root, model } : undefined;
  }

  /** Runs an engine request into a report panel, with progress in the panel (and its Cancel) and the status bar. */
  private async show(title: string, viewType: string, run: (cancel: vscode.CancellationToken, progress: (phase: string) => void) => Promise<{ note: string; sections: ReportSection[] }>, actions: { id: string; label: string; secondary?: boolean }[] = [], onAction?: (id: string, panel: ReportPanel) => void) {
    // One token per run: a cancelled run can be run again from the panel.
    let cts = new vscode.CancellationTokenSource();
    const panel: ReportPanel = new ReportPanel(this.deps.extensionUri, viewType, title, this.deps.log, (id) => (id === CANCEL.id ? cts.cancel() : onAction?.(id, panel)));
    panel.onDidDispose(() => {
      cts.cancel();
      panel.dispose();
    });
    const go = async () => {
      cts = new vscode.CancellationTokenSource();
      const token = cts.token;
      panel.update({ title, status: 'loading', message: 'Working…', sections: [], actions: [CANCEL] });
      // A progress notification would cover the panel's charts; the panel shows the phase.
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, async (progress) => {
        try {
          const r = await run(token, (phase) => {
            progress.report({ message: phase });
            panel.update({ title, status: 'loading', message: phase, sections: [], actions: [CANCEL] });
          });
          panel.update({ title, status: 'ready', message: r.note, sections: r.sections, actions });
        } catch (e) {
          const cancelled = token.isCancellationRequested;
          panel.update({ title, status: 'failed', message: cancelled ? 'Cancelled.' : e instanceof Error ? e.message.split('\n')[0] : String(e), sections: [], actions });
          if (!cancelled) showEngineError(this.deps.log, title, e);
        }
      });
    };
    await go();
    return { panel, rerun: go };
  }

  async leakage(): Promise<void> {
    const target = await this.pick('Check which model for leakage?');
    if (!target) return;
    let findings: LeakageFinding[] = [];
    const { panel } = await this.show(`Leakage: ${target.model}`, 'prodml.leakage', async (cancel, progress) => {
      const r = await this.deps.engine.request('leakage', target, { cancel, onProgress: (_f, phase) => progress(phase) });
      findings = r.findings;
      return r;
    });
    this.publish(target.root, findings);
    const errors = findings.filter((f) => f.severity === 'error').length;
    const warnings = findings.filter((f) => f.severity === 'warning').length;
    // The panel lists the findings; while it is in view the summary goes to the status bar.
    if (errors + warnings === 0) announce(`ProdML: no leakage found in ${target.model}.`, panel);
    else announce(`ProdML: ${target.model}: ${errors} leak${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}: ${findings.find((f) => f.severity !== 'info')!.message}`, panel, 'warning');
  }

  private publish(root: string, findings: LeakageFinding[], producer: Producer = 'leakage', source = 'ProdML leakage'): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const f of findings) {
      const file = f.location?.file ?? `${root}/prodml.yaml`;
      const line = Math.max(0, (f.location?.line ?? 1) - 1);
      const col = Math.max(0, (f.location?.column ?? 1) - 1);
      const d = new vscode.Diagnostic(new vscode.Range(line, col, line, col + (f.feature?.length ?? 200)), f.message, f.severity === 'error' ? vscode.DiagnosticSeverity.Error : f.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information);
      d.source = source;
      d.code = f.kind;
      byFile.set(file, [...(byFile.get(file) ?? []), d]);
    }
    this.problems.set(producer, byFile);
  }

  async featureValue(): Promise<void> {
    const target = await this.pick('Show feature value for which model?');
    if (!target) return;
    let leaveOneOut = false;
    const { rerun } = await this.show(
      `Feature value: ${target.model}`,
      'prodml.importance',
      async (cancel, progress) => {
        const r = (await this.deps.engine.request('importance', { ...target, leaveOneOut }, { cancel, onProgress: (_f, phase) => progress(phase) }));
        this.publish(target.root, r.findings, 'feature-value', 'ProdML feature value');
        return r;
      },
      [{ id: 'loo', label: 'Also Retrain Leaving Each Feature Out', secondary: true }],
      (id) => {
        if (id !== 'loo') return;
        leaveOneOut = true;
        void rerun();
      },
    );
  }

  /** Label consistency: conflicting rows as Problems entries at their lines in the data files, the groups in a page. */
  async labels(): Promise<void> {
    const target = await this.pick('Check the labels of which model?');
    if (!target) return;
    let findings: LineFinding[] = [];
    await this.show(`Labels: ${target.model}`, 'prodml.labels', async (cancel, progress) => {
      const r = (await this.deps.engine.request('labelConsistency', target, { cancel, onProgress: (_f, phase) => progress(phase) }));
      findings = r.findings;
      return r;
    });
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const f of findings) {
      const d = new vscode.Diagnostic(new vscode.Range(f.line - 1, 0, f.line - 1, 1000), f.message, f.severity === 'error' ? vscode.DiagnosticSeverity.Error : f.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information);
      d.source = 'ProdML labels';
      const file = path.isAbsolute(f.file) ? f.file : path.join(target.root, f.file);
      byFile.set(file, [...(byFile.get(file) ?? []), d]);
    }
    this.problems.set('labels', byFile);
  }

  dispose(): void {}
}
