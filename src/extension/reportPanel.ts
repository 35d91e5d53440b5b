import * as vscode from 'vscode';
import { fmtValue } from '../core/ops/numbers';
import { reportHostToWebviewSchema, reportWebviewToHostSchema, type ReportHostToWebview } from '../protocol/reportMessages';
import { webviewHtml } from './webviewHtml';

/**
 * A webview that shows a host-built report (tables, Vega-Lite charts, alerts, action buttons):
 * the version comparison and the monitoring dashboard. Waits for the webview's ready message
 * before posting, and validates every message both ways.
 */
export class ReportPanel implements vscode.Disposable {
  private readonly panel: vscode.WebviewPanel;
  private ready = false;
  private state: ReportHostToWebview;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    extensionUri: vscode.Uri,
    viewType: string,
    title: string,
    private readonly log: vscode.LogOutputChannel,
    onAction: (id: string) => void,
  ) {
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    this.panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(dist, 'webview')],
    });
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'prodml.svg');
    this.panel.webview.html = webviewHtml(this.panel.webview, (f) => vscode.Uri.joinPath(dist, f), 'report', title);
    this.state = { type: 'state', title, status: 'loading', message: 'Working…', sections: [], actions: [] };
    this.subscriptions.push(
      this.panel.webview.onDidReceiveMessage((raw) => {
        const msg = reportWebviewToHostSchema.safeParse(raw);
        if (!msg.success) return this.log.warn(`Ignored a malformed message from the ${title} webview: ${msg.error.message}`);
        const m = msg.data;
        if (m.type === 'ready') {
          this.ready = true;
          void this.panel.webview.postMessage(this.state);
        } else if (this.state.actions.some((a) => a.id === m.id)) onAction(m.id);
      }),
    );
  }

  get onDidDispose(): vscode.Event<void> {
    return this.panel.onDidDispose;
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  reveal(): void {
    this.panel.reveal();
  }

  update(next: Omit<ReportHostToWebview, 'type'>): void {
    // Numbers are written here, once, in ProdML's one format; the webview shows the text.
    const sections = next.sections.map((s) => (s.table ? { ...s, table: { ...s.table, rows: s.table.rows.map((r) => r.map((v) => (typeof v === 'number' ? fmtValue(v) : v))) } } : s));
    this.state = reportHostToWebviewSchema.parse({ type: 'state', ...next, sections });
    this.panel.title = next.title;
    if (this.ready) void this.panel.webview.postMessage(this.state);
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.panel.dispose();
  }
}
