import * as vscode from 'vscode';

export const DATA_GLOB = '**/*.{csv,tsv,parquet,json,jsonl,ndjson}';
const EXCLUDE = '{**/node_modules/**,**/.prodml/**,**/.git/**}';

/** The data file to act on: the explorer selection, else the active editor's file, else a quick pick. */
export async function pickDataFile(title: string, given?: vscode.Uri, exclude?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (given) return given;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (!exclude && active && active.scheme === 'file' && /\.(csv|tsv|parquet|jsonl?|ndjson)$/i.test(active.fsPath)) return active;

  const files = (await vscode.workspace.findFiles(DATA_GLOB, EXCLUDE, 5000))
    .filter((f) => f.toString() !== exclude?.toString())
    .sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const browse = { label: '$(folder-opened) Browse...', description: 'a file outside the list' };
  const items = [
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
