import * as vscode from 'vscode';
import * as registryOps from '../core/ops/registry';
import type { AliasChange, GcResult, ModelSummary, ModelVersion, VersionSummary } from '../core/ops/types';
import { fmtNum, metricLabel } from '../core/ops/numbers';
import { note } from './outcome';

type Node = { kind: 'model'; model: ModelSummary } | { kind: 'version'; model: string; v: VersionSummary };

/** The registry operations the tree uses, bound to its workspace (src/core/ops/registry.ts: JSON files under a lock, no engine). */
interface Registry {
  listModels(): Promise<ModelSummary[]>;
  listVersions(model: string): Promise<VersionSummary[]>;
  getVersion(model: string, version: string): Promise<ModelVersion>;
  promote(model: string, version: number, alias: string, reason: string): Promise<AliasChange>;
  rollback(model: string, opts: { before?: Date }): Promise<AliasChange>;
  deleteVersion(model: string, version: number): Promise<unknown>;
  gc(model: string, keep: number, opts?: { dryRun?: boolean }): Promise<GcResult>;
}

function boundRegistry(root: string): Registry {
  const ws = { root };
  return {
    listModels: () => registryOps.modelSummaries(ws),
    listVersions: async (model) => (await registryOps.listVersions(ws, { model })).versions,
    getVersion: (model, version) => registryOps.showVersion(ws, { ref: `${model}:${version}` }),
    promote: (model, version, alias, reason) => registryOps.promote(ws, { ref: `${model}:${version}`, alias, reason }),
    rollback: (model, opts) => registryOps.rollback(ws, { model, ...(opts.before ? { before: opts.before.toISOString() } : {}) }),
    deleteVersion: (model, version) => registryOps.deleteVersion(ws, { model, version }),
    gc: (model, keep, opts) => registryOps.gc(ws, { model, keep, ...(opts?.dryRun ? { dryRun: true } : {}) }),
  };
}

function age(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129_600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

function metric(v: VersionSummary): string {
  const key = v.key_metric ?? Object.keys(v.metrics)[0];
  if (!key) return '';
  return `${metricLabel(key)} ${fmtNum(v.metrics[key])}`;
}

/**
 * A modal question about something hard to undo. VS Code makes the first button the default
 * (Enter) and always puts its own Cancel last, so the first button is the safe answer.
 */
async function riskyDialog(message: string, safe: string, risky: string, detail?: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(message, { modal: true, ...(detail ? { detail } : {}) }, safe, risky);
  return choice === risky;
}

/**
 * The "Models" tree: each registered model, its versions with aliases, blessed state, key metric
 * and age; promote, roll back, show the lineage card. Refreshes when the registry changes on disk.
 */
export class ModelsView implements vscode.TreeDataProvider<Node>, vscode.TreeDragAndDropController<Node>, vscode.Disposable {
  // Files dragged from the Explorer (or the OS) arrive as a uri list; nothing is dragged out.
  readonly dropMimeTypes = ['text/uri-list'];
  readonly dragMimeTypes: string[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  private readonly watcher: vscode.FileSystemWatcher;
  private registry: Registry | undefined;

  constructor(private readonly root: string | undefined) {
    this.status.command = 'prodml.models.focus';
    this.watcher = vscode.workspace.createFileSystemWatcher('**/.prodml/registry/**');
    const refresh = () => this.refresh();
    this.watcher.onDidCreate(refresh);
    this.watcher.onDidChange(refresh);
    this.watcher.onDidDelete(refresh);
    void this.updateStatus();
  }

  private async reg(): Promise<Registry | undefined> {
    if (!this.root) return undefined;
    this.registry ??= boundRegistry(this.root);
    return this.registry;
  }

  private pending: NodeJS.Timeout | undefined;

  /**
   * A save or promotion touches several files: coalesce the watcher's bursts into one redraw.
   * After the user's own promote or rollback, `now` redraws at once, so the tree never shows the
   * old production version beside a status bar that already shows the new one.
   */
  refresh(opts: { now?: boolean } = {}): void {
    if (this.pending) clearTimeout(this.pending);
    const redraw = () => {
      this.pending = undefined;
      this.changed.fire();
      void this.updateStatus();
    };
    if (opts.now) redraw();
    else this.pending = setTimeout(redraw, 150);
  }

  /**
   * An .onnx file dropped on the view is imported ("ProdML: Import Model (ONNX)..." with the file
   * given); dropped on a model, that model's name is offered for the new version.
   */
  async handleDrop(target: Node | undefined, data: vscode.DataTransfer): Promise<void> {
    const text = (await data.get('text/uri-list')?.asString()) ?? '';
    const uris = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => vscode.Uri.parse(l));
    const onnx = uris.find((u) => u.path.toLowerCase().endsWith('.onnx'));
    if (!onnx) {
      if (uris.length > 0) void vscode.window.showWarningMessage(`ProdML: only an .onnx file can be dropped on the Models view to import it (got ${uris.map((u) => u.path.split('/').pop()).join(', ')}).`);
      return;
    }
    const model = target ? (target.kind === 'model' ? target.model.model : target.model) : undefined;
    await vscode.commands.executeCommand('prodml.importModel', onnx, model);
  }

  /** The status bar shows what production serves, for the first model with a production alias. */
  private async updateStatus(): Promise<void> {
    const models = (await (await this.reg())?.listModels().catch(() => [])) ?? [];
    const served = models.find((m) => m.aliases['production'] !== undefined);
    if (!served) return this.status.hide();
    this.status.text = `$(rocket) ${served.model}:${served.aliases['production']}`;
    this.status.tooltip = `ProdML: production serves ${served.model} version ${served.aliases['production']}`;
    this.status.show();
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n.kind === 'model') {
      const item = new vscode.TreeItem(n.model.model, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `model:${n.model.model}`;
      const prod = n.model.aliases['production'];
      // Short enough for a narrow side bar; the tooltip says the rest.
      item.description = prod !== undefined ? `production ${prod}` : 'no production';
      const aliases = Object.entries(n.model.aliases).map(([a, v]) => `${a} → ${v}`).join(', ');
      item.tooltip = new vscode.MarkdownString(`**${n.model.model}**: ${n.model.versions} version${n.model.versions === 1 ? '' : 's'}${aliases ? `; ${aliases}` : '; no aliases'}`);
      item.contextValue = 'prodml.model';
      item.iconPath = new vscode.ThemeIcon('package');
      return item;
    }
    const v = n.v;
    const item = new vscode.TreeItem(`${v.version}${v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}`, vscode.TreeItemCollapsibleState.None);
    // Items keep their identity across redraws, so a version whose aliases changed is redrawn in place.
    item.id = `version:${n.model}:${v.version}`;
    // The icon says blessed or not; the description names only the exception, and an imported runtime (onnx, with who made it).
    item.description = [metric(v), v.blessed ? '' : 'not blessed', v.runtime === 'onnx' ? `onnx${v.producer ? ` (${v.producer})` : ''}` : ''].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString(
      `**${n.model}:${v.version}**${v.aliases.length ? ` — ${v.aliases.join(', ')}` : ''}\n\n${Object.entries(v.metrics).map(([k, x]) => `- ${metricLabel(k)}: ${fmtNum(x)}`).join('\n')}\n\n${v.blessed ? 'Blessed' : 'Not blessed'} · ${v.runtime === 'onnx' ? `imported ${age(v.created_at)} by ${v.user}: ONNX from ${v.producer || 'an unknown producer'}, scored by onnxruntime` : `trained ${age(v.created_at)} by ${v.user} on ${v.backend}`}${v.data_until ? ` · data until ${v.data_until.slice(0, 10)}` : ''}`,
    );
    item.contextValue = v.aliases.includes('production') ? 'prodml.version.production' : 'prodml.version';
    item.iconPath = new vscode.ThemeIcon(v.aliases.includes('production') ? 'star-full' : v.blessed ? 'pass' : 'circle-slash');
    item.command = { command: 'prodml.models.showCard', title: 'Show lineage card', arguments: [n] };
    return item;
  }

  async getChildren(n?: Node): Promise<Node[]> {
    const registry = await this.reg();
    if (!registry) return [];
    if (!n) return (await registry.listModels()).map((model) => ({ kind: 'model' as const, model }));
    if (n.kind === 'model') return (await registry.listVersions(n.model.model)).map((v) => ({ kind: 'version' as const, model: n.model.model, v }));
    return [];
  }

  async promote(n: Node | undefined): Promise<void> {
    if (n?.kind !== 'version') return;
    const registry = await this.reg();
    if (!registry) return;
    if (!n.v.blessed) {
      const current = (await registry.listModels()).find((m) => m.model === n.model)?.aliases['production'];
      const keep = current !== undefined ? `Keep Production at ${current}` : "Don't Promote";
      const go = await riskyDialog(`${n.model}:${n.v.version} is not blessed. Promote it to production anyway?`, keep, `Promote ${n.v.version} Anyway`, 'It failed its validation thresholds or regressed against production.');
      if (!go) return;
    }
    const change = await registry.promote(n.model, n.v.version, 'production', 'promoted from the Models view');
    this.refresh({ now: true });
    // The tree and the production status item show it; a toast would cover an open dashboard.
    note(`ProdML: ${n.model} production ${change.from ?? '—'} → ${change.to}`);
  }

  async rollback(n: Node | undefined): Promise<void> {
    const model = n?.kind === 'model' ? n.model.model : n?.model;
    const registry = await this.reg();
    if (!model || !registry) return;
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'To the previous production version', value: 'previous' },
        { label: 'To the last version trained only on data before a date...', value: 'before' },
      ],
      { title: `Roll back ${model}` },
    );
    if (!choice) return;
    let before: Date | undefined;
    if (choice.value === 'before') {
      const text = await vscode.window.showInputBox({
        title: 'Data went bad on (YYYY-MM-DD)',
        validateInput: (s) => (Number.isNaN(Date.parse(s)) ? 'A date such as 2024-06-01' : undefined),
      });
      if (!text) return;
      before = new Date(text);
    }
    const change = await registry.rollback(model, before ? { before } : {});
    this.refresh({ now: true });
    note(`ProdML: ${model} production ${change.from ?? '—'} → ${change.to} (${change.reason})`);
  }

  async deleteVersion(n: Node | undefined): Promise<void> {
    if (n?.kind !== 'version') return;
    const registry = await this.reg();
    if (!registry) return;
    if (n.v.aliases.length > 0) {
      void vscode.window.showWarningMessage(`ProdML: ${n.model}:${n.v.version} is ${n.v.aliases.join(', ')}; promote another version first. An aliased version is never deleted.`);
      return;
    }
    const go = await riskyDialog(`Delete ${n.model}:${n.v.version}?`, `Keep ${n.model}:${n.v.version}`, 'Delete', 'Its model, transforms and lineage card are removed for good.');
    if (!go) return;
    await registry.deleteVersion(n.model, n.v.version);
    this.refresh({ now: true });
    note(`ProdML: deleted ${n.model}:${n.v.version}`);
  }

  async gc(n: Node | undefined): Promise<void> {
    const model = n?.kind === 'model' ? n.model.model : n?.model;
    const registry = await this.reg();
    if (!model || !registry) return;
    const text = await vscode.window.showInputBox({
      title: `Garbage-collect ${model}: keep how many of the newest versions?`,
      prompt: 'Aliased versions and the previous production version (the rollback target) are always kept.',
      value: '5',
      validateInput: (s) => (/^[1-9]\d*$/.test(s.trim()) ? undefined : 'A whole number from 1'),
    });
    if (!text) return;
    const keep = Number.parseInt(text, 10);
    const plan = await registry.gc(model, keep, { dryRun: true });
    if (plan.deleted.length === 0) {
      void vscode.window.showInformationMessage(`ProdML: nothing to collect in ${model}; every version is kept (${plan.kept.map((k) => `${k.version}: ${k.why}`).join('; ')}).`);
      return;
    }
    const go = await riskyDialog(
      `Delete ${plan.deleted.length} version${plan.deleted.length === 1 ? '' : 's'} of ${model} (${plan.deleted.join(', ')})?`,
      'Keep Them',
      'Delete',
      `Kept: ${plan.kept.map((k) => `${k.version} (${k.why})`).join(', ')}`,
    );
    if (!go) return;
    const done = await registry.gc(model, keep);
    this.refresh({ now: true });
    note(`ProdML: deleted ${model} versions ${done.deleted.join(', ') || 'none'}`);
  }

  /** The versions of a model other than `n`, for "compare with". */
  async otherVersions(n: Node | undefined): Promise<{ model: string; version: number; others: VersionSummary[] } | undefined> {
    if (n?.kind !== 'version') return undefined;
    const registry = await this.reg();
    if (!registry) return undefined;
    return { model: n.model, version: n.v.version, others: (await registry.listVersions(n.model)).filter((v) => v.version !== n.v.version) };
  }

  async showCard(n: Node | undefined): Promise<void> {
    if (n?.kind !== 'version') return;
    const v = await (await this.reg())?.getVersion(n.model, String(n.v.version));
    if (v) await vscode.window.showTextDocument(vscode.Uri.file(`${v.dir}/card.json`), { preview: true });
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.watcher.dispose();
    this.status.dispose();
    this.changed.dispose();
  }
}
