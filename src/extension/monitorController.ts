import path from 'node:path';
import * as vscode from 'vscode';
import type { ReportSection } from '../protocol/reportMessages';
import { showEngineError } from './engineErrors';
import { ReportPanel } from './reportPanel';
import type { Problems } from './problems';
import type { CommandContext } from './commandContext';

/** What the engine's `monitor` method returns (src/worker/reports.ts). */
export interface MonitorView {
  note: string;
  sections: ReportSection[];
  alerts: { id: string; text: string }[];
  /** 0-based line of the model's entry in prodml.yaml, where the Problems entries point. */
  line: number;
}

/**
 * The Monitoring dashboard and its alerts: the dashboard is a report webview over `prodml monitor`'s
 * windows; a crossed threshold becomes a notification (Show Dashboard / Roll Back), once per alert,
 * unless that model's dashboard is in view (then the status bar says it, not a toast over the
 * charts), and a Problems entry on the model in prodml.yaml until it clears. A status bar item
 * counts the active alerts and opens the dashboard.
 */
export class MonitorController implements vscode.Disposable {
  private readonly panels = new Map<string, ReportPanel>();
  private readonly notified = new Set<string>();
  /** Active alerts per model, as the status bar item counts them. */
  private readonly active = new Map<string, number>();
  private readonly alertItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 47);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: CommandContext,
    private readonly problems: Problems,
  ) {}

  private root(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  async show(given?: string): Promise<void> {
    const root = this.root();
    if (!root) return void vscode.window.showErrorMessage('ProdML: open a workspace folder with a prodml.yaml first.');
    const model = given ?? (await this.deps.pickModel(root, 'Monitor which model?', 'prodml.yaml declares no models to monitor.'));
    if (!model) return;
    let panel = this.panels.get(model);
    if (panel) panel.reveal();
    else {
      const p: ReportPanel = new ReportPanel(this.deps.extensionUri, 'prodml.monitor', `Monitoring: ${model}`, this.deps.log, (id) => {
        if (id === 'refresh') void this.check(model);
        if (id === 'rollback') void vscode.commands.executeCommand('prodml.models.rollback', { kind: 'model', model: { model } });
      });
      p.onDidDispose(() => {
        this.panels.delete(model);
        p.dispose();
      });
      this.panels.set(model, p);
      panel = p;
    }
    await this.check(model);
  }

  /** Runs the monitor for a model, refreshing its dashboard (if open), Problems entries and alerts. */
  async check(model: string, opts: { quiet?: boolean } = {}): Promise<MonitorView | undefined> {
    const root = this.root();
    if (!root) return undefined;
    const panel = this.panels.get(model);
    const title = `Monitoring: ${model}`;
    const actions = [
      { id: 'refresh', label: 'Refresh', secondary: true },
      { id: 'rollback', label: 'Roll Back Production…', secondary: true },
    ];
    // A background re-check keeps the charts on screen until the new ones are ready.
    if (!opts.quiet) panel?.update({ title, status: 'loading', message: 'Reading the prediction log…', sections: [], actions });
    let view: MonitorView;
    try {
      view = (await this.deps.engine.request('monitor', { root, model })) as MonitorView;
    } catch (e) {
      panel?.update({ title, status: 'failed', message: e instanceof Error ? e.message.split('\n')[0] : String(e), sections: [], actions });
      if (!opts.quiet) showEngineError(this.deps.log, `Monitoring ${model}`, e);
      return undefined;
    }
    panel?.update({ title, status: 'ready', message: view.note, sections: view.sections, actions });
    const file = path.join(root, 'prodml.yaml');
    const mine = view.alerts.map((a) => {
      const d = new vscode.Diagnostic(new vscode.Range(view.line, 0, view.line, 200), `${model}: ${a.text}`, vscode.DiagnosticSeverity.Warning);
      d.source = 'ProdML monitor';
      d.code = model;
      return d;
    });
    this.problems.set(`monitor:${model}`, new Map([[file, mine]]));
    this.showActive(model, view.alerts.length);
    const fresh = view.alerts.filter((a) => !this.notified.has(`${model}:${a.id}`));
    fresh.forEach((a) => this.notified.add(`${model}:${a.id}`));
    if (fresh.length > 0 && panel?.visible) {
      // The dashboard in view lists the alert and offers the rollback; a toast would cover its charts.
      vscode.window.setStatusBarMessage(`$(warning) ProdML monitor: ${model}: ${fresh.length} new alert${fresh.length === 1 ? '' : 's'}, listed in the dashboard and Problems`, 30_000);
    } else if (fresh.length > 0) {
      const more = fresh.length > 1 ? ` (+${fresh.length - 1} more)` : '';
      void vscode.window.showWarningMessage(`ProdML monitor: ${model}: ${fresh[0]!.text}${more}`, 'Show Dashboard', 'Roll Back').then((choice) => {
        if (choice === 'Show Dashboard') void this.show(model);
        if (choice === 'Roll Back') void vscode.commands.executeCommand('prodml.models.rollback', { kind: 'model', model: { model } });
      });
    }
    return view;
  }

  /**
   * After production changed (promote, rollback), alerts of the version it left are resolved:
   * re-run the monitor for a model with Problems entries so they go away at once.
   */
  async recheckAlerted(model: string | undefined): Promise<void> {
    const root = this.root();
    if (!model || !root) return;
    const file = path.join(root, 'prodml.yaml');
    if (this.problems.get(`monitor:${model}`, file).length > 0 || this.panels.has(model)) await this.check(model, { quiet: true });
  }

  /** While the server runs, re-check every model now and then so alerts surface without asking. */
  watch(running: boolean): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!running) return;
    const tick = async () => {
      const root = this.root();
      if (!root) return;
      const models = (await this.deps.engine.request('models', { root }).catch(() => ({ models: [] }))).models;
      for (const m of models) await this.check(m, { quiet: true });
    };
    this.timer = setInterval(() => void tick(), 60_000);
  }

  private showActive(model: string, alerts: number): void {
    if (alerts > 0) this.active.set(model, alerts);
    else this.active.delete(model);
    const [first] = [...this.active];
    if (!first) return this.alertItem.hide();
    const total = [...this.active.values()].reduce((a, b) => a + b, 0);
    this.alertItem.text = `$(warning) ${this.active.size === 1 ? `${first[0]}: ` : ''}${total} alert${total === 1 ? '' : 's'}`;
    this.alertItem.tooltip = `ProdML monitor: ${[...this.active].map(([m, n]) => `${m} has ${n} active alert${n === 1 ? '' : 's'}`).join('; ')}. Show the dashboard.`;
    this.alertItem.command = { title: 'Show Monitoring Dashboard', command: 'prodml.showMonitoring', arguments: [{ kind: 'model', model: { model: first[0] } }] };
    this.alertItem.show();
  }

  dispose(): void {
    this.alertItem.dispose();
    if (this.timer) clearInterval(this.timer);
    for (const p of this.panels.values()) p.dispose();
  }
}
