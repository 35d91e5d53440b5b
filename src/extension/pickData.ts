import path from 'node:path';
import * as vscode from 'vscode';
import { databaseDatasets } from '../core/ops/datasets';

export const DATA_GLOB = '**/*.{csv,tsv,parquet,json,jsonl,ndjson}';
const EXCLUDE = '{**/node_modules/**,**/.prodml/**,**/.git/**}';

/**
 * prodml.yaml's database datasets as quick-pick items. A dataset is passed on as the path
 * <workspace>/<name>: the engine takes a bare dataset name wherever it takes data.
 */
async function databaseItems(): Promise<{ label: string; description: string; uri: vscode.Uri }[]> {
  const items: { label: string; description: string; uri: vscode.Uri }[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    for (const d of await databaseDatasets(folder.uri.fsPath)) {
      items.push({ label: `$(database) ${d.name}`, description: d.description, uri: vscode.Uri.file(path.join(folder.uri.fsPath, d.name)) });
    }
  }
  return items;
}

/** The data file to act on: the explorer selection, else the active editor's file, else a quick pick (with database datasets when `datasets`). */
export async function pickDataFile(title: string, given?: vscode.Uri, exclude?: vscode.Uri, opts: { datasets?: boolean } = {}): Promise<vscode.Uri | undefined> {
  if (given) return given;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (!exclude && active && active.scheme === 'file' && /\.(csv|tsv|parquet|jsonl?|ndjson)$/i.test(active.fsPath)) return active;

  const files = (await vscode.workspace.findFiles(DATA_GLOB, EXCLUDE, 5000))
    .filter((f) => f.toString() !== exclude?.toString())
    .sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const browse = { label: '$(folder-opened) Browse...', description: 'a file outside the list' };
  const items = [
    ...(opts.datasets ? (await databaseItems()).filter((d) => d.uri.toString() !== exclude?.toString()) : []),
    ...files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    browse,
  ];
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Type to filter data files', matchOnDescription: true });
  if (!picked) return undefined;
  if ('uri' in picked) return picked.uri;
  const chosen = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    filters: { Data: ['csv', 'tsv', 'parquet', 'json', 'jsonl', 'ndjson'] },
  });
  return chosen?.[0];
}
