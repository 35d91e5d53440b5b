import path from 'node:path';
import * as vscode from 'vscode';
import { runs as listRuns } from '../core/ops/runs';
import type { RunRecord, StepRecord } from '../core/ops/types';

type Node = { kind: 'run'; run: RunRecord } | { kind: 'step'; run: RunRecord; step: StepRecord };

const RUN_ICON: Record<RunRecord['status'], [string, string?]> = {
  running: ['loading~spin', 'charts.blue'],
  succeeded: ['pass', 'testing.iconPassed'],
  quarantined: ['warning', 'list.warningForeground'],
  invalid_data: ['warning', 'list.warningForeground'],
  not_blessed: ['circle-slash', 'list.warningForeground'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['debug-stop'],
};
// One shape per state, told apart without colour too: waiting (empty circle), spinning, done
// (check), skipped because nothing changed (a dash), failed (cross), stopped by a gate (slash).
const STEP_ICON: Record<StepRecord['status'], [string, string?]> = {
  pending: ['circle-large-outline', 'disabledForeground'],
  running: ['loading~spin', 'charts.blue'],
  ok: ['pass', 'testing.iconPassed'],
  skipped: ['dash', 'descriptionForeground'],
  failed: ['error', 'testing.iconFailed'],
  blocked: ['circle-slash', 'list.warningForeground'],
};

function icon([id, color]: [string, string?]): vscode.ThemeIcon {
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

/**
 * The "Runs" tree: pipeline runs newest first, each with its steps (status, duration, what it
 * did); a step opens its log. Refreshes when `.prodml/runs/` changes on disk.
 */
export class RunsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly watcher: vscode.FileSystemWatcher;

  constructor(private readonly root: string | undefined) {
    this.watcher = vscode.workspace.createFileSystemWatcher('**/.prodml/runs/**');
    const refresh = () => this.refresh();
    this.watcher.onDidCreate(refresh);
    this.watcher.onDidChange(refresh);
    this.watcher.onDidDelete(refresh);
  }

  private pending: NodeJS.Timeout | undefined;

  /** The runs as last drawn, to redraw only when they changed. */
  private drawn: string | undefined;

  /**
   * A run rewrites its record at every step: coalesce the bursts into one redraw. Step logs
   * change too but show nowhere in the tree; redrawing for them would collapse a row the user is
   * expanding at that moment (VS Code drops an expand that crosses a redraw: "No tree item with id").
   */
  refresh(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.redrawIfChanged();
    }, 250);
  }

  private async redrawIfChanged(): Promise<void> {
    const now = this.root ? JSON.stringify(await listRuns({ root: this.root }).catch(() => [])) : '';
    if (now === this.drawn) return;
    this.drawn = now;
    this.changed.fire();
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n.kind === 'run') {
      const r = n.run;
      // Short label and description for a narrow side bar; the tooltip holds the whole story.
      const item = new vscode.TreeItem(`${r.started_at.slice(5, 10)} ${r.started_at.slice(11, 19)}`, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = r.id;
      item.description = `${r.status.replace('_', ' ')} · ${r.trigger}`;
      item.tooltip = new vscode.MarkdownString(
        `**${r.model}**, run ${r.id}\n\n${r.status.replace('_', ' ')} · ${r.trigger} · up to ${r.target}${r.duration_ms !== undefined ? ` · ${duration(r.duration_ms)}` : ''}\n\n${r.summary}`,
      );
      item.iconPath = icon(RUN_ICON[r.status] ?? ['circle-outline']);
      item.contextValue = 'prodml.run';
      return item;
    }
    const s = n.step;
    const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.None);
    item.id = `${n.run.id}/${s.name}`;
    item.description = [s.status, duration(s.duration_ms)].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString([`**${s.name}**: ${s.status}${s.duration_ms !== undefined ? ` in ${duration(s.duration_ms)}` : ''}`, ...s.messages.map((m) => `- ${m}`), ...(s.error ? [`\n${s.error.kind}: ${s.error.message}`] : [])].join('\n'));
    item.iconPath = icon(STEP_ICON[s.status] ?? ['circle-outline']);
    item.contextValue = 'prodml.runStep';
    if (this.root) item.command = { command: 'prodml.runs.openLog', title: 'Open Step Log', arguments: [n] };
    return item;
  }

  async getChildren(n?: Node): Promise<Node[]> {
    if (!this.root) return [];
    if (!n) return (await listRuns({ root: this.root }).catch(() => [] as RunRecord[])).map((run) => ({ kind: 'run' as const, run }));
    if (n.kind === 'run') return n.run.steps.map((step) => ({ kind: 'step' as const, run: n.run, step }));
    return [];
  }

  async openLog(n: Node | undefined): Promise<void> {
    if (n?.kind !== 'step' || !this.root) return;
    const file = vscode.Uri.file(path.join(this.root, n.step.log));
    try {
      await vscode.workspace.fs.stat(file);
    } catch {
      void vscode.window.showInformationMessage(`ProdML: step ${n.step.name} of run ${n.run.id} wrote no log (${n.step.status}).`);
      return;
    }
    await vscode.window.showTextDocument(file, { preview: true });
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.watcher.dispose();
    this.changed.dispose();
  }
}
