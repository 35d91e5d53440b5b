import path from 'node:path';
import * as vscode from 'vscode';
import { hostToWebviewSchema, webviewToHostSchema, type HostToWebview, type ProfileViewMessage } from '../protocol/profileMessages';
import type { EngineClient } from './engineClient';
import { showEngineError } from './engineErrors';
import { engineParams } from './engineParams';
import { pickDataFile } from './pickData';
import { webviewHtml } from './webviewHtml';

interface Deps {
  engine: EngineClient;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

/** One webview per profiled dataset: cards with stats and charts, "Compare with...", export. */
export class ProfilePanel {
  private static readonly open = new Map<string, ProfilePanel>();
  private ready = false;
  private last: HostToWebview | undefined;
  private cancelRun: vscode.CancellationTokenSource | undefined;
  private compare: vscode.Uri | undefined;

  static show(deps: Deps, data: vscode.Uri, compare?: vscode.Uri): ProfilePanel {
    const existing = ProfilePanel.open.get(data.toString());
    if (existing) {
      existing.panel.reveal();
      if (compare) existing.setCompare(compare);
      return existing;
    }
    const panel = new ProfilePanel(deps, data, compare);
    ProfilePanel.open.set(data.toString(), panel);
    return panel;
  }

  private readonly panel: vscode.WebviewPanel;

  private constructor(
    private readonly deps: Deps,
    private readonly data: vscode.Uri,
    compare?: vscode.Uri,
  ) {
    const dist = vscode.Uri.joinPath(deps.extensionUri, 'dist');
    this.compare = compare;
    this.panel = vscode.window.createWebviewPanel(
      'prodml.profile',
      `Profile: ${path.basename(data.fsPath)}`,
      vscode.ViewColumn.Active,
      { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [vscode.Uri.joinPath(dist, 'webview')] },
    );
    this.panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'prodml.svg');
    this.panel.webview.html = webviewHtml(this.panel.webview, (f) => vscode.Uri.joinPath(dist, f), 'profile', this.title());
    this.panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw));
    this.panel.onDidDispose(() => {
      this.cancelRun?.cancel();
      ProfilePanel.open.delete(this.data.toString());
    });
    void this.run();
  }

  private title(): string {
    const rel = (u: vscode.Uri) => vscode.workspace.asRelativePath(u);
    return this.compare ? `${rel(this.data)} vs ${rel(this.compare)}` : rel(this.data);
  }

  private post(msg: HostToWebview): void {
    this.last = msg;
    // The contract is checked on the way out too: a host bug shows here, not as a blank webview.
    const checked = hostToWebviewSchema.parse(msg);
    if (this.ready) void this.panel.webview.postMessage(checked);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = webviewToHostSchema.safeParse(raw);
    if (!parsed.success) {
      this.deps.log.warn(`Ignored a malformed message from the profile webview: ${parsed.error.message}`);
      return;
    }
    switch (parsed.data.type) {
      case 'ready':
        this.ready = true;
        if (this.last) void this.panel.webview.postMessage(this.last);
        return;
      case 'cancel':
        this.cancelRun?.cancel();
        return;
      case 'retry':
        void this.run();
        return;
      case 'compare': {
        const other = await pickDataFile(`Compare ${path.basename(this.data.fsPath)} with...`, undefined, this.data, { datasets: true });
        if (other) this.setCompare(other);
        return;
      }
      case 'clearCompare':
        this.compare = undefined;
        void this.run();
        return;
      case 'exportHtml':
        await this.exportHtml();
        return;
    }
  }

  private setCompare(other: vscode.Uri): void {
    this.compare = other;
    void this.run();
  }

  private params() {
    return engineParams(this.data, this.compare);
  }

  async run(): Promise<void> {
    this.cancelRun?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.cancelRun = cts;
    const title = this.title();
    this.panel.title = `Profile: ${path.basename(this.data.fsPath)}${this.compare ? ` vs ${path.basename(this.compare.fsPath)}` : ''}`;
    this.post({ type: 'loading', title, phase: 'Starting', fraction: 0 });
    // Progress in the panel (with its Cancel) and the status bar: a notification would linger
    // over the charts that replace the progress.
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Profiling ${title}` },
      async (progress) => {
        let reported = 0;
        try {
          const res = await this.deps.engine.request('profile', this.params(), {
            cancel: cts.token,
            onProgress: (fraction, phase) => {
              if (cts.token.isCancellationRequested) return;
              progress.report({ message: phase, increment: Math.max(0, fraction * 100 - reported) });
              reported = Math.max(reported, fraction * 100);
              this.post({ type: 'loading', title, phase, fraction });
            },
          });
          if (this.cancelRun === cts) this.post({ type: 'profile', view: res.view });
        } catch (e) {
          if (this.cancelRun !== cts) return;
          this.showError(title, e);
        }
      },
    );
  }

  private showError(title: string, e: unknown): void {
    showEngineError(this.deps.log, `Profiling ${title}`, e, (message) => this.post({ type: 'error', title, message }));
  }

  private async exportHtml(): Promise<void> {
    const base = path.basename(this.data.fsPath).replace(/\.[^.]+$/, '');
    const target = await vscode.window.showSaveDialog({
      title: 'Export profile as HTML',
      defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(path.dirname(this.data.fsPath)), `${base}.profile.html`),
      filters: { HTML: ['html'] },
    });
    if (!target) return;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Writing HTML report' }, () =>
        this.deps.engine.request('profileHtml', { ...this.params(), out: target.fsPath }),
      );
      const open = await vscode.window.showInformationMessage(`ProdML: wrote ${vscode.workspace.asRelativePath(target)}`, 'Open in Browser');
      if (open) void vscode.env.openExternal(target);
    } catch (e) {
      this.showError(this.title(), e);
    }
  }
}
